"""The one place that knows which records store the settings chose (core.stores: the same
TASK_STORE as the tasks')."""

from django.conf import settings

from core import stores
from records.repositories.base import RecordRepository


def _memory() -> RecordRepository:
    from records.repositories.memory import InMemoryRecordRepository

    return InMemoryRecordRepository(
        max_records=settings.RECORDS_MAX_STORED, max_bytes=settings.RECORDS_MAX_STORED_BYTES
    )


def _postgres() -> RecordRepository:
    from records.repositories.postgres import PostgresRecordRepository

    return PostgresRecordRepository()


record_repository = stores.Chosen(memory=_memory, postgres=_postgres)
reset = record_repository.reset
