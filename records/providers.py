"""The one place that knows which records store the settings chose (tasks.stores: the same
TASK_STORE as the tasks')."""

import threading

from django.conf import settings

from records.repositories.base import RecordRepository
from tasks import stores

_lock = threading.Lock()
_repository: RecordRepository | None = None


def record_repository() -> RecordRepository:
    global _repository
    if _repository is None:
        with _lock:
            if _repository is None:
                _repository = stores.chosen(memory=_memory, postgres=_postgres)
    return _repository


def _memory() -> RecordRepository:
    from records.repositories.memory import InMemoryRecordRepository

    return InMemoryRecordRepository(
        max_records=settings.RECORDS_MAX_STORED, max_bytes=settings.RECORDS_MAX_STORED_BYTES
    )


def _postgres() -> RecordRepository:
    from records.repositories.postgres import PostgresRecordRepository

    return PostgresRecordRepository()


def reset() -> None:
    """Forget the store (tests: each starts empty)."""
    global _repository
    _repository = None
