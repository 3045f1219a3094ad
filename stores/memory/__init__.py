"""The in-process store: module-level dicts behind locks, bounded by the settings' maxima. The
default: nothing to install, but one process only (its data goes when the process does)."""

from __future__ import annotations

from django.conf import settings

from core import malloc
from stores.memory.keys import InMemoryKeyStore
from stores.memory.records import InMemoryRecordRepository
from stores.memory.tasks import InMemoryTaskRepository


def tasks() -> InMemoryTaskRepository:
    return InMemoryTaskRepository(
        max_tasks=settings.TASK_MAX_STORED, max_bytes=settings.TASK_MAX_STORED_BYTES, on_large_delete=malloc.trim
    )


def records() -> InMemoryRecordRepository:
    return InMemoryRecordRepository(
        max_records=settings.RECORDS_MAX_STORED, max_bytes=settings.RECORDS_MAX_STORED_BYTES
    )


def keys() -> InMemoryKeyStore:
    return InMemoryKeyStore()
