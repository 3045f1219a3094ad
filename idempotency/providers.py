"""The key store the settings chose (core.stores: the same TASK_STORE as every app's data)."""

from __future__ import annotations

from core import stores
from idempotency.stores import KeyStore

key_store: stores.Chosen[KeyStore] = stores.Chosen("keys")
reset = key_store.reset
