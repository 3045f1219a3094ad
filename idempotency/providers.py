"""The key store the settings chose (core.stores: the same TASK_STORE as every app's data)."""

from __future__ import annotations

from core import stores
from idempotency.stores import KeyStore


def _memory() -> KeyStore:
    from idempotency.stores import InMemoryKeyStore

    return InMemoryKeyStore()


def _postgres() -> KeyStore:
    from idempotency.postgres import PostgresKeyStore

    return PostgresKeyStore()


key_store = stores.Chosen(memory=_memory, postgres=_postgres)
reset = key_store.reset
