"""The one place that knows which records store the settings chose (core.stores: the same
TASK_STORE as the tasks')."""

from core import stores
from records.repositories.base import RecordRepository

record_repository: stores.Chosen[RecordRepository] = stores.Chosen("records")
reset = record_repository.reset
