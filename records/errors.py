"""Errors of the records use cases, each with its HTTP meaning (core.errors)."""

import uuid
from typing import Any

from core.errors import NotFound, ServiceError, Unavailable, summarize


class RecordsError(ServiceError):
    """Base of every error a records use case may raise on purpose."""


class RecordNotFound(RecordsError, NotFound):
    slug = "record-not-found"
    title = "Record not found"

    def __init__(self, key: uuid.UUID) -> None:
        super().__init__(f"No record with uuid {key}.")


class NotARecordPath(RecordsError, NotFound):
    """A single-segment path that is neither a record uuid nor a count: nothing lives there."""

    def __init__(self, path: str) -> None:
        super().__init__(f"No endpoint at /{path} (and it is neither a record uuid nor a count); see /api/docs/.")


class DuplicateRecord(RecordsError):
    status = 409
    slug = "duplicate-record"
    title = "Duplicate record"
    pointer = "#"

    def __init__(self, key: uuid.UUID, *, within_batch: bool) -> None:
        self.uuid = key
        where = "appears twice in this batch" if within_batch else "already exists"
        super().__init__(f"Record {key} {where}; nothing of this batch was saved.")

    def problem_extra(self) -> dict[str, Any]:
        return {"uuid": str(self.uuid)}


class InvalidRecords(RecordsError):
    """Per-item problems: `errors` lists (JSON pointer, message) pairs, e.g. ("#/3/text", ...)."""

    slug = "invalid-records"
    title = "Invalid records"

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__(errors[0][1] if len(errors) == 1 else f"{errors[0][1]} (and {len(errors) - 1} more)")

    def problem_errors(self) -> list[dict[str, str]]:
        return [{"pointer": pointer, "detail": detail} for pointer, detail in self.errors]

    def problem_detail(self, errors: list[dict[str, str]]) -> str:
        return summarize(errors, str(self))


class InvalidCount(RecordsError):
    slug = "invalid-count"
    title = "Count too large"

    def __init__(self, count: int, limit: int) -> None:
        asked = f"{count:,}" if count < 10**18 else "more than that"
        super().__init__(f"At most {limit:,} records per request; {asked} asked.")


class RecordStoreFull(RecordsError, Unavailable):
    """The in-memory store holds its maximum; deletes make room (answered 503 + Retry-After)."""

    def __init__(self, limit: int, *, max_bytes: int | None = None) -> None:
        held = f"{max_bytes:,} bytes" if max_bytes is not None else f"{limit:,} records"
        super().__init__(f"The record store is full ({held}); delete some or retry later.")
