"""The default records store: an insertion-ordered dict in this process, guarded by a lock."""

import threading
import uuid
from collections.abc import Iterator

from records.domain import Record
from records.errors import DuplicateRecord, RecordStoreFull

STREAM_CHUNK = 1000
RECORD_OVERHEAD_BYTES = 200  # a record's uuid, objects and dict slot, besides its text


def record_size(record: Record) -> int:
    """What a record costs this process: its text as UTF-8 plus a fixed overhead."""
    return len(record.text.encode()) + RECORD_OVERHEAD_BYTES


class InMemoryRecordRepository:
    def __init__(self, *, max_records: int, max_bytes: int = 2**62) -> None:
        self._max_records = max_records
        self._max_bytes = max_bytes
        self._bytes = 0  # a count cap alone let 1M records of 10 KB hold 10 GB
        self._lock = threading.Lock()
        self._records: dict[uuid.UUID, Record] = {}

    def add_all(self, records: list[Record]) -> None:
        size = sum(map(record_size, records))
        with self._lock:
            if len(self._records) + len(records) > self._max_records:
                raise RecordStoreFull(self._max_records)
            if self._bytes + size > self._max_bytes:
                raise RecordStoreFull(self._max_records, max_bytes=self._max_bytes)
            for record in records:
                if record.uuid in self._records:
                    raise DuplicateRecord(record.uuid, within_batch=False)
            self._records.update((record.uuid, record) for record in records)
            self._bytes += size

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
            record = self._records.pop(key, None)
            if record is not None:
                self._bytes -= record_size(record)
            return record

    def count(self) -> int:
        return len(self._records)
