"""The gunicorn worker the service runs on: gthread, except that the main loop reads each request
whole before a thread is given to it.

Stock gthread gives a connection a thread once its first byte arrives, and the thread then
blocks until the request is complete: 8 clients sending headers a byte a second held all 8
threads, and every other client waited (slowloris). Here the poller reads heads and bodies of
known length without blocking, under deadlines (HTTP_HEADER_TIMEOUT, HTTP_BODY_MIN_RATE) and one
memory budget (HTTP_BUFFER_MAX_BYTES); a thread only parses a request already in memory. What the
worker refuses itself (408, 411, 413, 429, 431, 503) and gunicorn's own parse errors (400, 414,
431, 501) are problem+json like every other error of the service.

Idle connections are bounded too: one that sends nothing is closed after HTTP_IDLE_TIMEOUT, and
one address holds at most HTTP_MAX_IDLE_PER_ADDRESS connections that have not sent a whole
request (past that a new one gets 429 and is closed), so a thousand silent sockets from one
address cannot fill worker_connections and keep everyone else waiting.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import re
import selectors
import socket
import struct
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus

import gunicorn
from gunicorn.http import errors as http_errors
from gunicorn.http.unreader import SocketUnreader
from gunicorn.workers.gthread import TConn, ThreadWorker

from core.env import env_float, env_int
from httpapi.refusals import CHUNKED_REFUSED, body_too_large

RECV_BYTES = 256 * 1024
LINGER_SECONDS, LINGER_BYTES = 2.0, 64 * 1024  # gunicorn's own bounds for a graceful close
SWEEP_EVERY = 0.25  # seconds between deadline sweeps: the loop runs per event, not per second
_HEAD_END = b"\r\n\r\n"
_EXPECT_LINE = re.compile(rb"\r\nexpect:[^\r\n]*", re.IGNORECASE)
# gunicorn's parse errors that are not a plain 400, with the status and problem type they deserve.
_PARSE_PROBLEMS: tuple[tuple[type[Exception], int, str], ...] = (
    (http_errors.LimitRequestLine, 414, "uri-too-long"),
    (http_errors.LimitRequestHeaders, 431, "headers-too-large"),
    (http_errors.UnsupportedTransferCoding, 501, "not-implemented"),
    (http_errors.ExpectationFailed, 417, "expectation-failed"),
    (http_errors.ForbiddenProxyRequest, 403, "forbidden"),
)
_SERVER_FAULTS = (
    http_errors.InvalidResponseHeader,
    http_errors.InvalidResponseHeaderName,
    http_errors.ConfigurationProblem,
)

# The gthread internals this worker builds on are gunicorn 27's: on any other release it refuses
# to start (gunicorn exits naming the reason) rather than misbehave quietly. Upgrading gunicorn
# means running tests/e2e/test_slow_clients_live.py and test_http_robustness_live.py, then
# widening this.
FITS_GUNICORN = "27."
OVERRIDDEN = {
    ThreadWorker: ("accept", "enqueue_req", "murder_pending", "handle_error", "handle_exit", "load_wsgi"),
    TConn: ("init", "close"),
    SocketUnreader: ("read", "unread", "take_buffered"),
}


def unfit(version: str, overridden: dict[type, tuple[str, ...]] = OVERRIDDEN) -> list[str]:
    """Why this worker cannot run on gunicorn `version` with these classes; empty if it can."""
    problems = [] if version.startswith(FITS_GUNICORN) else [f"gunicorn {version} (built for {FITS_GUNICORN}x)"]
    problems += [
        f"{cls.__name__}.{name} is gone"
        for cls, names in overridden.items()
        for name in names
        if not hasattr(cls, name)
    ]
    return problems


if _problems := unfit(gunicorn.__version__):
    raise RuntimeError("taskservice.gunicorn_worker does not fit this gunicorn: " + "; ".join(_problems))


def problem_bytes(status: int, slug: str, detail: str, headers: dict[str, str] | None = None) -> bytes:
    """A complete `Connection: close` HTTP/1.1 response in the service's problem+json shape."""
    from httpapi.problems import CONTENT_TYPE, Problem  # Django is set up by then; not at import

    body = json.dumps(Problem(status, slug, detail).body()).encode()
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Content-Type: {CONTENT_TYPE}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _address(address: object) -> str:
    """The peer's IP ("" on a Unix socket)."""
    return str(address[0]) if isinstance(address, tuple) and address else ""


def _recv(sock: socket.socket) -> bytes | None:
    """What a non-blocking socket holds: None if nothing yet, b"" once the peer is gone."""
    try:
        return sock.recv(RECV_BYTES)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


@dataclass(slots=True)
class Inbound:
    """A request being read by the main loop."""

    buffer: bytearray
    deadline: float
    address: str  # the peer's, for the per-address bound on connections being read
    # The head's deadline once bytes arrive (`deadline` is the idle one until then): from the
    # connection for a new one, None for a kept-alive one (its head's time counts from its first byte).
    head_deadline: float | None
    head_end: int = -1  # index just past the blank line, once seen
    total: int = -1  # head + body length, once the head is parsed
    reserved: int = 0  # bytes charged to the worker's buffer budget
    expects_continue: bool = False
    _scan_from: int = field(default=0)


class HeldUnreader(SocketUnreader):
    """gunicorn's unreader, but what it holds is read by position, never copied again. gunicorn
    copies its whole buffer out and writes back all but the part taken on every read: Django's
    multipart parser, reading a 6.9 MB upload 64 KiB at a time, made about a hundred copies of
    what was left (0.7 GB) before the photo was in hand. The buffer is still gunicorn's `buf`
    (gthread looks there for pipelined bytes), emptied once all of it is read."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(sock)
        self._at = 0  # how much of `buf` has been read

    def _holding(self) -> int:
        return self.buf.seek(0, io.SEEK_END) - self._at

    def _take(self, size: int) -> bytes:
        self.buf.seek(self._at)
        data = self.buf.read(size)
        self._at += len(data)
        if not self._holding():
            self.buf, self._at = io.BytesIO(), 0
        return data

    def read(self, size: int | None = None, read_ahead: int | None = None) -> bytes:
        held = self._holding()
        if not held:
            return super().read(size, read_ahead)
        if size is None or size < 0:
            return self._take(held)
        if size <= held:
            return self._take(size)
        first = self._take(held)  # the rest comes from the socket
        return first + super().read(size - held, None if read_ahead is None else max(read_ahead - held, 0))

    def unread(self, data: bytes) -> None:
        """Back in front of what is held: the head's parse gives back the body after it."""
        super().unread(data + self._take(self._holding()))

    def take_buffered(self) -> bytes:
        return self._take(self._holding())


class ReadAheadConn(TConn):
    """A connection whose next request (`received`) was read by the main loop."""

    def __init__(self, *args, send_timeout: float, linger: Callable[[ReadAheadConn], None], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.received = b""
        self._linger = linger
        # The request is in memory before a thread sees it: only writes can block a thread, and a
        # client that stops reading holds one for HTTP_SEND_TIMEOUT at most. A kernel timeout,
        # not settimeout(): that polls before every send and recv, 9% of GET /status throughput.
        seconds, fraction = divmod(send_timeout, 1)
        timeval = struct.pack("ll", int(seconds), int(fraction * 1e6))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)

    def close(self, graceful: bool = False) -> None:
        """gunicorn's graceful close lingers up to 2 s reading, on the main loop: a client that
        never closed after `Connection: close` stalled every other one. The worker lingers instead."""
        if graceful:
            self._linger(self)
        else:
            super().close()

    def init(self) -> None:
        fresh = self.parser is None
        super().init()
        if fresh:
            self.parser.unreader = HeldUnreader(self.sock)
        if self.received:
            self.parser.unreader.unread(self.received)
            self.received = b""


class ReadAheadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = env_float("HTTP_HEADER_TIMEOUT", 10.0, minimum=0.1)
        self.idle_timeout = min(env_float("HTTP_IDLE_TIMEOUT", 5.0, minimum=0.1), self.header_timeout)
        self.idle_per_address = env_int("HTTP_MAX_IDLE_PER_ADDRESS", 256, minimum=1)
        self.reading_from: Counter[str] = Counter()  # address -> its connections in `inbound`
        self.body_min_rate = env_int("HTTP_BODY_MIN_RATE", 64 * 1024, minimum=1)
        self.send_timeout = env_float("HTTP_SEND_TIMEOUT", 60.0, minimum=0.1)
        self.buffer_budget = env_int("HTTP_BUFFER_MAX_BYTES", 512 * 1024 * 1024, minimum=1024 * 1024)
        self.head_limit = self.cfg.limit_request_line + self.cfg.limit_request_fields * (
            self.cfg.limit_request_field_size + 2
        )
        self.body_limit = 0  # REQUEST_MAX_BYTES, read once Django is set up (load_wsgi)
        self.buffered = 0
        self.inbound: dict[ReadAheadConn, Inbound] = {}
        self.lingering: dict[ReadAheadConn, list[float]] = {}  # conn -> [deadline, bytes drained]
        self._next_sweep = 0.0

    def handle_exit(self, sig, frame) -> None:  # noqa: ANN001 - gunicorn's signature
        """SIGTERM: requests that wait for a task (`?wait`) answer what they have now, in the main
        loop, instead of holding the graceful shutdown until their time is up."""
        stopping = self.alive
        super().handle_exit(sig, frame)
        if stopping:
            from tasks import providers  # Django is set up by then; not at import

            self.method_queue.defer(providers.release_waiters)

    def load_wsgi(self) -> None:
        super().load_wsgi()
        from django.conf import settings

        self.body_limit = settings.REQUEST_MAX_BYTES

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        peer = _address(address)
        if self.reading_from[peer] >= self.idle_per_address:
            self.log.warning(
                "Refused connection from ip=%s: %d connections without a request", peer, self.reading_from[peer]
            )
            detail = f"Too many connections from your address without a request (at most {self.idle_per_address})."
            with contextlib.suppress(OSError):
                client.setblocking(False)
                client.send(problem_bytes(429, "too-many-connections", detail, {"Retry-After": "1"}))
            client.close()
            return
        self.nr_conns += 1
        conn = ReadAheadConn(
            self.cfg, client, address, listener.getsockname(), send_timeout=self.send_timeout, linger=self.linger
        )
        self.receive(conn, b"", kept_alive=False)

    def enqueue_req(self, conn: ReadAheadConn) -> None:
        """Keep-alive and pipelined requests come here too: read them before any thread sees them."""
        if conn.received:
            super().enqueue_req(conn)
        else:
            self.receive(conn, conn.parser.unreader.take_buffered() if conn.parser else b"", kept_alive=True)

    def receive(self, conn: ReadAheadConn, already: bytes, *, kept_alive: bool) -> None:
        conn.sock.setblocking(False)
        now = time.monotonic()
        deadline = now + (self.header_timeout if already else self.idle_timeout)
        head_deadline = None if kept_alive else now + self.header_timeout
        state = Inbound(bytearray(already), deadline, _address(conn.client), head_deadline)
        self.inbound[conn] = state
        self.reading_from[state.address] += 1
        if not self.advance(conn, state):
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_readable, conn))

    def on_readable(self, conn: ReadAheadConn, _sock: socket.socket) -> None:
        state = self.inbound.get(conn)
        if state is None:  # dropped earlier in this round of events
            return
        chunk = _recv(conn.sock)
        if chunk is None:
            return
        if not chunk:  # the client went away
            self.drop(conn)
            return
        if not state.buffer and state.head_end < 0:  # its first bytes: the head's own deadline now
            state.deadline = state.head_deadline or time.monotonic() + self.header_timeout
        state.buffer += chunk
        self.advance(conn, state)

    def advance(self, conn: ReadAheadConn, state: Inbound) -> bool:
        """Take in what has arrived; True once the connection left the read stage (served or closed)."""
        if state.head_end < 0:
            end = state.buffer.find(_HEAD_END, state._scan_from)
            if end < 0:
                state._scan_from = max(0, len(state.buffer) - 3)
                if len(state.buffer) > self.head_limit:
                    return self.refuse(conn, 431, "headers-too-large", "The request head is too large.")
                return self.charge(conn, state, len(state.buffer))
            state.head_end = end + len(_HEAD_END)
            refusal = self.read_head(conn, state)
            if refusal:
                return refusal
        if len(state.buffer) < state.total:
            return self.charge(conn, state, state.total)
        if state.expects_continue:  # answered here (or made moot): the thread must not answer again
            head = _EXPECT_LINE.sub(b"", bytes(state.buffer[: state.head_end]))
            state.buffer[: state.head_end] = head
        self.release(conn)
        self.leave_poller(conn)
        conn.received = bytes(state.buffer)
        conn.data_ready = True
        super().enqueue_req(conn)
        return True

    def read_head(self, conn: ReadAheadConn, state: Inbound) -> bool:
        """Size the body from the head; False to keep reading. Malformed heads go to gunicorn's parser."""
        length = 0
        for line in bytes(state.buffer[: state.head_end]).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"transfer-encoding" and b"chunked" in value:
                detail = CHUNKED_REFUSED
                return self.refuse(conn, 411, "length-required", detail)
            if name == b"content-length" and value.isdigit():  # else gunicorn's parser answers 400
                length = int(value) if len(value) < 19 else self.body_limit + 1
            if name == b"expect" and value == b"100-continue":
                state.expects_continue = True
        if length > self.body_limit:
            detail = body_too_large(self.body_limit)
            return self.refuse(conn, 413, "request-too-large", detail)
        state.total = state.head_end + length
        if len(state.buffer) < state.total:
            state.deadline = time.monotonic() + self.header_timeout + length / self.body_min_rate
            if state.expects_continue:
                self.send_quietly(conn, b"HTTP/1.1 100 Continue\r\n\r\n")
        return False

    def charge(self, conn: ReadAheadConn, state: Inbound, size: int) -> bool:
        """Hold `size` bytes of the budget for this request; 503 when the worker has no room left."""
        extra = size - state.reserved
        if extra > 0 and self.buffered + extra > self.buffer_budget:
            detail = "The server is receiving too many request bodies at once; retry shortly."
            return self.refuse(conn, 503, "server-busy", detail, {"Retry-After": "1"})
        self.buffered += extra
        state.reserved += extra
        return False

    def release(self, conn: ReadAheadConn) -> None:
        state = self.inbound.pop(conn, None)
        if state is not None:
            self.buffered -= state.reserved
            self.reading_from[state.address] -= 1
            if not self.reading_from[state.address]:
                del self.reading_from[state.address]

    def refuse(self, conn: ReadAheadConn, status: int, slug: str, detail: str, headers: dict | None = None) -> bool:
        self.log.warning("Refused request from ip=%s: %s %s", conn.client[0] if conn.client else "", status, detail)
        self.send_quietly(conn, problem_bytes(status, slug, detail, headers))
        self.drop(conn)
        return True

    def drop(self, conn: ReadAheadConn) -> None:
        self.release(conn)
        self.leave_poller(conn)
        self.nr_conns -= 1
        conn.close()

    def leave_poller(self, conn: ReadAheadConn) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):  # never registered: decided on arrival
            self.poller.unregister(conn.sock)

    def linger(self, conn: ReadAheadConn) -> None:
        """Close after the peer has read our last bytes (RFC 9112 9.6): send FIN, then drain what it
        still sends until it closes, LINGER_SECONDS or LINGER_BYTES, without blocking the loop."""
        try:
            conn.sock.shutdown(socket.SHUT_WR)
            conn.sock.setblocking(False)
        except OSError:
            conn.sock.close()
            return
        self.lingering[conn] = [time.monotonic() + LINGER_SECONDS, 0]
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_linger_readable, conn))

    def on_linger_readable(self, conn: ReadAheadConn, _sock: socket.socket) -> None:
        data = _recv(conn.sock)
        if data is None:
            return
        self.lingering[conn][1] += len(data)
        if not data or self.lingering[conn][1] > LINGER_BYTES:
            self.end_linger(conn)

    def end_linger(self, conn: ReadAheadConn) -> None:
        self.lingering.pop(conn, None)
        self.leave_poller(conn)
        conn.sock.close()

    @staticmethod
    def send_quietly(conn: ReadAheadConn, data: bytes) -> None:
        """Best effort on a non-blocking socket: a short answer fits the kernel's buffer."""
        with contextlib.suppress(OSError):
            conn.sock.send(data)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY
        for conn in [conn for conn, (deadline, _) in self.lingering.items() if deadline <= now]:
            self.end_linger(conn)
        for conn, state in [
            (conn, state) for conn, state in self.inbound.items() if state.deadline <= now or not self.alive
        ]:
            if not state.buffer:  # an idle connection (or a stopping worker): nothing to answer
                self.drop(conn)
            elif state.deadline <= now:
                self.refuse(conn, 408, "request-timeout", "The request was not received in time.")

    def handle_error(self, req, client, addr, exc) -> None:  # noqa: ANN001 - gunicorn's signature
        """gunicorn's own error pages (bad request line, too long, bad headers) as problem+json."""
        if not isinstance(exc, http_errors.ParseException) or isinstance(exc, _SERVER_FAULTS):
            super().handle_error(req, client, addr, exc)  # a server fault: gunicorn logs it, answers 500
            return
        status, slug = next(
            ((code, slug) for kind, code, slug in _PARSE_PROBLEMS if isinstance(exc, kind)), (400, "bad-request")
        )
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            client.sendall(problem_bytes(status, slug, str(exc)))
        except OSError:
            self.log.debug("Failed to send error message.")
