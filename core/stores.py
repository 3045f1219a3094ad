"""Which store the settings chose: TASK_STORE names one package of settings.STORES, which keeps
every app's data (tasks, records and idempotency keys alike), so they can never disagree."""

from __future__ import annotations

import threading
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.utils.module_loading import import_string

T = TypeVar("T")


def chosen(part: str) -> Any:
    """Build the chosen store's `part` ("tasks", "records" or "keys"): the store's package is
    imported only now, so a process never loads a store it does not use."""
    return import_string(f"{settings.STORES[settings.TASK_STORE]}.{part}")()


class Chosen(Generic[T]):
    """A process's one store of a part: `chosen` on first call (once, whichever thread asks
    first), the same one after; `reset` forgets it (tests start each with an empty one)."""

    def __init__(self, part: str) -> None:
        self._part = part
        self._lock = threading.Lock()
        self._store: T | None = None

    def __call__(self) -> T:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = chosen(self._part)
        return self._store

    def reset(self) -> None:
        self._store = None
