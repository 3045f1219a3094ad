"""Errors of the records use cases; the project's problem handler maps them to HTTP."""

import uuid


class RecordsError(Exception):
    pass


class RecordNotFound(RecordsError):
    def __init__(self, key: uuid.UUID) -> None:
        super().__init__(f"No record with uuid {key}.")


class NotARecordPath(RecordsError):
    """A single-segment path that is neither a record uuid nor a count: nothing lives there."""

    def __init__(self, path: str) -> None:
        super().__init__(f"No endpoint at /{path} (and it is neither a record uuid nor a count); see /api/docs/.")


class DuplicateRecord(RecordsError):
    def __init__(self, key: uuid.UUID, *, within_batch: bool) -> None:
        self.uuid = key
        where = "appears twice in this batch" if within_batch else "already exists"
        super().__init__(f"Record {key} {where}; nothing of this batch was saved.")


class InvalidRecords(RecordsError):
    """Per-item problems: `errors` lists (JSON pointer, message) pairs, e.g. ("#/3/text", ...)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__(errors[0][1] if len(errors) == 1 else f"{errors[0][1]} (and {len(errors) - 1} more)")


class InvalidCount(RecordsError):
    def __init__(self, count: int, limit: int) -> None:
        asked = f"{count:,}" if count < 10**18 else "more than that"
        super().__init__(f"At most {limit:,} records per request; {asked} asked.")


class RecordStoreFull(RecordsError):
    """The in-memory store holds its maximum; deletes make room (answered 503 + Retry-After)."""

    def __init__(self, limit: int, *, max_bytes: int | None = None) -> None:
        held = f"{max_bytes:,} bytes" if max_bytes is not None else f"{limit:,} records"
        super().__init__(f"The record store is full ({held}); delete some or retry later.")
