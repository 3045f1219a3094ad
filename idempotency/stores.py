"""Where idempotency keys live: the interface every store implements (stores/<name>/keys.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    reference: Any  # None while the first request is in flight
    created_at: datetime


class KeyStore(Protocol):
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
        """Take the key for a request made `at`, atomically: None when taken (absent, or held
        by an entry created before `stale_before`, or in flight since before `abandoned_before`),
        else the entry that holds it."""

    def complete(self, scope: str, owner: str, key: str, *, claimed_at: datetime, reference: Any) -> None:
        """Record what the request that claimed the key at `claimed_at` made."""

    def release(self, scope: str, owner: str, key: str, *, claimed_at: datetime) -> None:
        """Give the key back: the request that claimed it made nothing."""

    def purge(self, *, stale_before: datetime) -> int:
        """Forget keys created before `stale_before`; how many went."""
