"""Idempotency keys in a dict of this process (TASK_STORE=memory)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from idempotency.stores import Entry

# Expired keys are dropped from the dict every this many claims (amortised: no sweeper thread).
PURGE_EVERY = 1024


class InMemoryKeyStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], Entry] = {}
        self._claims = 0

    def claim(
        self,
        scope: str,
        owner: str,
        key: str,
        fingerprint: str,
        *,
        at: datetime,
        stale_before: datetime,
        abandoned_before: datetime,
    ) -> Entry | None:
        with self._lock:
            held = self._entries.get((scope, owner, key))
            if held is not None and not _free(held, stale_before, abandoned_before):
                return held
            self._entries[scope, owner, key] = Entry(fingerprint, None, at)
            self._claims += 1
            if self._claims % PURGE_EVERY == 0:
                self._purge(stale_before)
            return None

    def complete(self, scope: str, owner: str, key: str, *, claimed_at: datetime, reference: Any) -> None:
        with self._lock:
            held = self._entries.get((scope, owner, key))
            if held is not None and held.created_at == claimed_at and held.reference is None:
                self._entries[scope, owner, key] = Entry(held.fingerprint, reference, held.created_at)

    def release(self, scope: str, owner: str, key: str, *, claimed_at: datetime) -> None:
        with self._lock:
            held = self._entries.get((scope, owner, key))
            if held is not None and held.created_at == claimed_at and held.reference is None:
                del self._entries[scope, owner, key]

    def purge(self, *, stale_before: datetime) -> int:
        with self._lock:
            return self._purge(stale_before)

    def _purge(self, stale_before: datetime) -> int:
        stale = [name for name, entry in self._entries.items() if entry.created_at < stale_before]
        for name in stale:
            del self._entries[name]
        return len(stale)


def _free(entry: Entry, stale_before: datetime, abandoned_before: datetime) -> bool:
    return entry.created_at < stale_before or (entry.reference is None and entry.created_at < abandoned_before)
