"""The default records store: an insertion-ordered dict in this process, guarded by a lock."""

import threading
import uuid
from collections.abc import Iterator

from records.domain import Record
from records.errors import DuplicateRecord, RecordStoreFull

STREAM_CHUNK = 1000


class InMemoryRecordRepository:
    def __init__(self, *, max_records: int) -> None:
        self._max_records = max_records
        self._lock = threading.Lock()
        self._records: dict[uuid.UUID, Record] = {}

    def add_all(self, records: list[Record]) -> None:
        with self._lock:
            if len(self._records) + len(records) > self._max_records:
                raise RecordStoreFull(self._max_records)
            for record in records:
                if record.uuid in self._records:
                    raise DuplicateRecord(record.uuid, within_batch=False)
            self._records.update((record.uuid, record) for record in records)

    def get(self, key: uuid.UUID) -> Record | None:
        return self._records.get(key)

    def oldest(self, count: int) -> list[Record]:
        with self._lock:
            found = []
            for record in self._records.values():
                if len(found) == count:
                    break
                found.append(record)
            return found

    def stream(self) -> Iterator[Record]:
        # Copy references a chunk at a time under the lock, so writers are never blocked for
        # long and the dict is never iterated while it changes.
        with self._lock:
            keys = list(self._records)
        for start in range(0, len(keys), STREAM_CHUNK):
            with self._lock:
                chunk = [self._records.get(key) for key in keys[start : start + STREAM_CHUNK]]
            yield from (record for record in chunk if record is not None)

    def delete(self, key: uuid.UUID) -> Record | None:
        with self._lock:
            return self._records.pop(key, None)

    def count(self) -> int:
        return len(self._records)
