"""The key store the settings chose (tasks.stores: the same TASK_STORE as every app's data)."""

from __future__ import annotations

import threading

from idempotency.stores import KeyStore
from tasks import stores

_lock = threading.Lock()
_store: KeyStore | None = None


def key_store() -> KeyStore:
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                _store = stores.chosen(memory=_memory, postgres=_postgres)
    return _store


def _memory() -> KeyStore:
    from idempotency.stores import InMemoryKeyStore

    return InMemoryKeyStore()


def _postgres() -> KeyStore:
    from idempotency.postgres import PostgresKeyStore

    return PostgresKeyStore()


def reset() -> None:
    """Forget the store (tests: each starts empty)."""
    global _store
    _store = None
