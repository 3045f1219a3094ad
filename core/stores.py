"""Which store the settings chose: TASK_STORE picks memory or PostgreSQL for every app's data
(tasks, records and idempotency keys alike), so they can never disagree."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")


def chosen(*, memory: Callable[[], T], postgres: Callable[[], T]) -> T:
    """Build the store TASK_STORE names (each builder imports its module only when called)."""
    return postgres() if settings.TASK_STORE == "postgres" else memory()


class Chosen(Generic[T]):
    """A process's one store of a kind: `chosen` on first call (once, whichever thread asks
    first), the same one after; `reset` forgets it (tests start each with an empty one)."""

    def __init__(self, *, memory: Callable[[], T], postgres: Callable[[], T]) -> None:
        self._memory, self._postgres = memory, postgres
        self._lock = threading.Lock()
        self._store: T | None = None

    def __call__(self) -> T:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = chosen(memory=self._memory, postgres=self._postgres)
        return self._store

    def reset(self) -> None:
        self._store = None
