"""Signed webhooks: a task's final status POSTed to its `callback_url` (Standard Webhooks).

Each attempt is signed with the owner's secret (`webhook-signature: v1,<base64 HMAC-SHA256 of
"<webhook-id>.<webhook-timestamp>.<body>">`), retried with exponential backoff and full jitter
on timeouts, connection errors and non-2xx answers, up to WEBHOOK_MAX_ATTEMPTS, and logged on
the task (`callbacks`). Addresses are checked where they are used: a URL naming a loopback or
private address is refused at submit, a host name is resolved at delivery and every address it
has must be public (unless WEBHOOK_ALLOW_PRIVATE), and the connection goes to an address that
was checked, so a DNS answer cannot change between the check and the request. Redirects are
not followed.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from accounts.webhooks import SECRET_PREFIX
from tasks import metrics
from tasks.domain import Task, utcnow
from tasks.errors import InvalidCallbackUrl
from tasks.presenters import present_task
from tasks.repositories.base import TaskRepository

logger = logging.getLogger(__name__)

MAX_URL_CHARS = 2048
ANSWER_BYTES = 64 * 1024  # of a receiver's answer read (and otherwise ignored)
USER_AGENT = "taskservice-webhooks/1"
EVENTS = {"ready": "task.ready", "failed": "task.failed", "cancelled": "task.cancelled"}


def check_url(url: str) -> str:
    """`url` if it may be a callback: http(s), a host, no credentials, and not an address on
    loopback or a private range (unless WEBHOOK_ALLOW_PRIVATE); host names are checked later."""
    if len(url) > MAX_URL_CHARS:
        raise InvalidCallbackUrl(f"At most {MAX_URL_CHARS} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidCallbackUrl("Not a URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidCallbackUrl("Must be an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise InvalidCallbackUrl("Must not carry a user name or password.")
    if port == 0:
        raise InvalidCallbackUrl("Port 0 is not a port.")
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        _refuse_unless_allowed(ipaddress.ip_address("127.0.0.1"), host)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        _check_name(host)
        return url  # a name: resolved, and its addresses checked, at each delivery
    _refuse_unless_allowed(address, host)
    return url


def _check_name(host: str) -> None:
    """A host name DNS can carry (IDNA, labels of 1-63 characters, 253 in all): one it cannot
    was accepted and then failed at every delivery without an attempt on record."""
    try:
        encoded = host.rstrip(".").encode("idna")
    except UnicodeError:
        raise InvalidCallbackUrl(f"{host[:80]} is not a valid host name (each label 1-63 characters).") from None
    if len(encoded) > 253:
        raise InvalidCallbackUrl("The host name is over 253 characters.")


def _refuse_unless_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str) -> None:
    if not settings.WEBHOOK_ALLOW_PRIVATE and not _public(address):
        raise InvalidCallbackUrl(f"{host} is a loopback, private or reserved address; callbacks go to public ones.")


# IPv6 ranges that reach IPv4 or local networks but that Python's is_global lets through: IPv4-
# compatible (::a.b.c.d, deprecated), NAT64's well-known and local-use prefixes, and deprecated
# site-local addresses.
NOT_PUBLIC_V6 = tuple(
    ipaddress.ip_network(network) for network in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48", "fec0::/10")
)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address.sixtofour is not None:  # 2002:a.b.c.d::: as public as its IPv4 address
            address = address.sixtofour
        elif any(address in network for network in NOT_PUBLIC_V6):
            return False
    return address.is_global and not address.is_multicast


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: Standard Webhooks' v1, HMAC-SHA256 with the decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True, slots=True)
class Style:
    """A webhook shaped otherwise than the service's own event (another API's callback): its HTTP
    method and its body, made from the finished task and the store (which holds its result). It
    is signed, retried and logged as every webhook is."""

    method: str
    body: Callable[[Task, TaskRepository], bytes]


def payload(task: Task) -> bytes:
    status = present_task(task)
    body = {"type": EVENTS[status["status"]], "timestamp": status["finished_at"], "data": status}
    return json.dumps(body, separators=(",", ":")).encode()


# The service's own event (Task.callback_style None), and the styles apps add when they start
# (judge0api: Judge0's PUT).
STYLES: dict[str | None, Style] = {None: Style("POST", lambda task, repository: payload(task))}


def register_style(name: str, style: Style) -> None:
    STYLES[name] = style


def backoff(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: exponential, capped, with full jitter (half to all)."""
    ceiling = min(settings.WEBHOOK_RETRY_MAX_SECONDS, settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1))
    return ceiling * random.uniform(0.5, 1.0)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None
    error: str | None = None
    final: bool = False  # no point in trying again (the address will not become public by waiting)

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Refused(Exception):
    """The URL may not be called (its host resolves to a private address, or not at all)."""


def request(method: str, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """One request (a style's method: POST for the service's own event) to an address that was checked, all of it within
    `timeout` (a receiver that answers a byte at a time is cut off, not waited for); never
    follows a redirect."""
    parts = urlsplit(url)
    host, secure = parts.hostname or "", parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    address = _checked_address(host, port)
    connection = _PinnedConnection(host, port, address=address, secure=secure, timeout=timeout)
    deadline = threading.Timer(timeout, connection.cut)
    deadline.start()
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body, headers)
        response = connection.getresponse()
        response.read(ANSWER_BYTES)
        return Answer(response.status)
    except (OSError, http.client.HTTPException):
        if connection.was_cut:
            raise TimeoutError(f"no complete answer within {timeout:g} s") from None
        raise
    finally:
        deadline.cancel()
        connection.close()


def _checked_address(host: str, port: int) -> str:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"{host} cannot be resolved ({exc.strerror})") from None
    addresses = [ipaddress.ip_address(entry[4][0].split("%")[0]) for entry in found]
    if not settings.WEBHOOK_ALLOW_PRIVATE and not all(_public(address) for address in addresses):
        raise Refused(f"{host} resolves to a loopback, private or reserved address")
    return str(addresses[0])


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to `address`, with `host` in the Host header, for SNI and the certificate check."""

    def __init__(self, host: str, port: int, *, address: str, secure: bool, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address, self._secure = address, secure

    was_cut = False

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host) if self._secure else sock

    def cut(self) -> None:
        """From the deadline's thread: a shutdown wakes the blocked send or receive at once."""
        self.was_cut = True
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)


class Deliverer:
    """One delivery attempt at a time per task (a compare-and-set claim on its due time)."""

    def __init__(
        self,
        repository: TaskRepository,
        secret_for: Callable[[str], str | None],
        send: Callable[[str, str, bytes, dict[str, str], float], Answer] = request,
    ) -> None:
        self._repository = repository
        self._secret_for = secret_for
        self._send = send

    def attempt(self, task_id: uuid.UUID) -> float | None:
        """Deliver the task's webhook if it is due; seconds until the next attempt, or None."""
        timeout = settings.WEBHOOK_TIMEOUT_SECONDS
        now = utcnow()
        task = self._repository.claim_callback(task_id, now=now, lease_until=now + timedelta(seconds=timeout + 30))
        if task is None or task.callback_url is None:
            return None
        number = len(task.callbacks) + 1
        started = time.monotonic()
        answer = self._call(task, timeout)
        delivered = answer.delivered
        retry = None if delivered or answer.final or number >= settings.WEBHOOK_MAX_ATTEMPTS else backoff(number)
        record: dict[str, Any] = {
            "attempt": number,
            "at": now.isoformat().replace("+00:00", "Z"),
            "outcome": "delivered" if delivered else ("retrying" if retry is not None else "failed"),
            "status_code": answer.status,
            "error": answer.error,
            "duration_ms": round(1000 * (time.monotonic() - started), 1),
        }
        due = utcnow() + timedelta(seconds=retry) if retry is not None else None
        self._repository.record_callback(task_id, record, due_at=due)
        metrics.WEBHOOKS.labels(record["outcome"]).inc()
        if not delivered:
            logger.info("task %s: webhook attempt %d: %s", task_id, number, answer.error or answer.status)
        return retry

    def _call(self, task: Task, timeout: float) -> Answer:
        secret = self._secret_for(task.owner) if task.owner else None
        if secret is None:
            return Answer(None, "refused: the task's owner has no webhook secret", final=True)
        style = STYLES.get(task.callback_style)
        if style is None:
            return Answer(None, f"refused: no webhook style {task.callback_style!r} here", final=True)
        message_id, timestamp, body = f"msg_{task.id.hex}", int(time.time()), style.body(task, self._repository)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, message_id, timestamp, body),
        }
        try:
            answer = self._send(style.method, task.callback_url or "", body, headers, timeout)
        except Refused as exc:
            return Answer(None, f"refused: {exc}", final=True)
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, TLS, bad answers
            return Answer(None, f"{type(exc).__name__}: {exc}"[:200])
        return answer if answer.delivered else Answer(answer.status, f"answered {answer.status}")


# How late a due attempt must be for the sweep to send it again: its timer died with a process.
OVERDUE_SECONDS = 10.0


def redeliver_overdue(repository: TaskRepository, deliver: Callable[[uuid.UUID], None]) -> int:
    """Deliveries whose attempt is overdue (the process that held its timer, or its message, is
    gone) are handed over again; a claim makes sure only one deliverer attempts each."""
    overdue = repository.find_due_callbacks(due_before=utcnow() - timedelta(seconds=OVERDUE_SECONDS), limit=500)
    for task_id in overdue:
        deliver(task_id)
    return len(overdue)
