"""The default records store: an insertion-ordered dict in this process, guarded by a lock."""

import threading
import uuid
from collections.abc import Iterator

from core.quotas import QuotaExceeded
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
        self._owners: dict[uuid.UUID, str | None] = {}  # who saved each record
        self._held: dict[str | None, list[int]] = {}  # owner -> [records, bytes]

    def add_all(self, records: list[Record], *, owner: str | None = None, share: float | None = None) -> None:
        size = sum(map(record_size, records))
        with self._lock:
            if len(self._records) + len(records) > self._max_records:
                raise RecordStoreFull(self._max_records)
            if self._bytes + size > self._max_bytes:
                raise RecordStoreFull(self._max_records, max_bytes=self._max_bytes)
            held = self._held.get(owner, [0, 0])
            if share is not None:
                self._check_share(held, len(records), size, share)
            for record in records:
                if record.uuid in self._records:
                    raise DuplicateRecord(record.uuid, within_batch=False)
            self._records.update((record.uuid, record) for record in records)
            self._owners.update((record.uuid, owner) for record in records)
            self._held[owner] = [held[0] + len(records), held[1] + size]
            self._bytes += size

    def _check_share(self, held: list[int], count: int, size: int, share: float) -> None:
        for quota, used, more, cap, unit in (
            ("stored_records", held[0], count, self._max_records, "records"),
            ("stored_record_bytes", held[1], size, self._max_bytes, "bytes"),
        ):
            limit = int(cap * share)
            if used + more > limit:
                detail = (
                    f"You hold {used:,} {unit} of the record store; your share is {limit:,}. "
                    "Delete some of your records (DELETE /{uuid}) to save more."
                )
                raise QuotaExceeded(quota, limit=limit, used=used, retry_after=None, detail=detail)

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
                size = record_size(record)
                self._bytes -= size
                owner = self._owners.pop(key)
                held = self._held[owner]
                held[0] -= 1
                held[1] -= size
                if not held[0]:
                    del self._held[owner]
            return record

    def count(self) -> int:
        return len(self._records)
