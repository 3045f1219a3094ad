"""`once`: make something at most once per (endpoint, caller, Idempotency-Key).

The first request claims the key, makes its thing and records a reference to it; a retry with
the same key and the same request gets that reference back instead (`Replay`), a different
request with the key is refused (422), and a retry while the first is still in flight is told to
retry (409). A request that fails gives the key back. Keys last IDEMPOTENCY_TTL_SECONDS.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings

from idempotency import providers
from idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidIdempotencyKey
from idempotency.stores import KeyStore

T = TypeVar("T")
KEY = re.compile(r"[\x20-\x7e]{1,255}")
# A first request still in flight after this long died with its process: its key is free again.
IN_FLIGHT_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Replay:
    """The key was used before for this same request: what that request recorded."""

    reference: Any


def parse_key(header: str | None) -> str | None:
    """The key of an `Idempotency-Key` header (a structured-field string: quotes optional)."""
    if header is None:
        return None
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not KEY.fullmatch(key):
        raise InvalidIdempotencyKey
    return key


def fingerprint(*parts: Any, blobs: dict[str, bytes] | None = None) -> str:
    """SHA-256 of JSON values (keys sorted) and named bytes: equal for equal requests."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str).encode())
    for name, data in sorted((blobs or {}).items()):
        digest.update(b"\0%s\0%d\0" % (name.encode(), len(data)))
        digest.update(data)
    return digest.hexdigest()


def once(
    *,
    scope: str,
    owner: str | None,
    key: str,
    fingerprint: str,
    create: Callable[[], T],
    remember: Callable[[T], Any],
    store: KeyStore | None = None,
) -> T | Replay:
    """`create()` if the key is new (recording `remember(result)`, JSON), else the `Replay`."""
    store = store or providers.key_store()
    owner = owner or ""
    now = datetime.now(UTC)
    held = store.claim(
        scope,
        owner,
        key,
        fingerprint,
        at=now,
        stale_before=now - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS),
        abandoned_before=now - timedelta(seconds=IN_FLIGHT_SECONDS),
    )
    if held is not None:
        if held.fingerprint != fingerprint:
            raise IdempotencyKeyReused
        if held.reference is None:
            raise IdempotencyKeyInUse
        return Replay(held.reference)
    try:
        made = create()
    except BaseException:
        store.release(scope, owner, key, claimed_at=now)
        raise
    store.complete(scope, owner, key, claimed_at=now, reference=remember(made))
    return made


def purge_expired(store: KeyStore | None = None) -> int:
    store = store or providers.key_store()
    return store.purge(stale_before=datetime.now(UTC) - timedelta(seconds=settings.IDEMPOTENCY_TTL_SECONDS))
