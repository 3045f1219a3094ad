"""The storage interface for records (the contract suite checks every implementation)."""

import uuid
from collections.abc import Iterator
from typing import Protocol

from records.domain import Record


class RecordRepository(Protocol):
    def add_all(self, records: list[Record], *, owner: str | None = None, share: float | None = None) -> None:
        """Save every record or none: raises DuplicateRecord if a uuid already exists. A store with
        caps (the in-memory one) keeps `owner`'s records within `share` of each cap (a fraction;
        QuotaExceeded past it), so one caller cannot fill it for everyone."""

    def get(self, key: uuid.UUID) -> Record | None: ...

    def oldest(self, count: int) -> list[Record]: ...

    def stream(self) -> Iterator[Record]:
        """Every record in insertion order, without holding them all in memory at once."""

    def delete(self, key: uuid.UUID) -> Record | None:
        """Remove and return the record; of two concurrent deletes exactly one gets it."""

    def count(self) -> int: ...
