"""The one place that knows which records store the settings chose (the same TASK_STORE)."""

import threading

from django.conf import settings

from records.repositories.base import RecordRepository

_lock = threading.Lock()
_repository: RecordRepository | None = None


def record_repository() -> RecordRepository:
    global _repository
    if _repository is None:
        with _lock:
            if _repository is None:
                if settings.TASK_STORE == "postgres":
                    from records.repositories.postgres import PostgresRecordRepository

                    _repository = PostgresRecordRepository()
                else:
                    from records.repositories.memory import InMemoryRecordRepository

                    _repository = InMemoryRecordRepository(
                        max_records=settings.RECORDS_MAX_STORED, max_bytes=settings.RECORDS_MAX_STORED_BYTES
                    )
    return _repository


def reset() -> None:
    """Forget the store (tests: each starts empty)."""
    global _repository
    _repository = None
