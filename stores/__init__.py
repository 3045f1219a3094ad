"""Stores: each folder keeps every app's data (tasks, records, idempotency keys) in one place,
and is chosen as a whole by TASK_STORE (settings.STORES names each one's package)."""
