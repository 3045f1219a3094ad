"""Records use cases: validate and save batches, read, stream, delete."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from idempotency import services as idempotency
from records.domain import Record
from records.errors import DuplicateRecord, InvalidCount, InvalidRecords, RecordNotFound
from records.providers import record_repository
from records.repositories.base import RecordRepository

FIELDS = {"uuid", "text"}


def parse_batch(items: Any) -> list[Record]:
    """The body of POST /new: a non-empty JSON array of {"uuid"?, "text"}; every problem named."""
    if not isinstance(items, list):
        raise InvalidRecords([("#", "The body must be a JSON array of {uuid, text} objects.")])
    if not items:
        raise InvalidRecords([("#", "The array is empty: send at least one record.")])
    if len(items) > settings.RECORDS_MAX_ITEMS:
        raise InvalidRecords([("#", f"At most {settings.RECORDS_MAX_ITEMS:,} records per request.")])
    errors: list[tuple[str, str]] = []
    records: list[Record] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append((f"#/{index}", "Each record is an object with `text` and an optional `uuid`."))
            continue
        errors += [(f"#/{index}/{name}", "Unknown field.") for name in sorted(set(item) - FIELDS)]
        text = item.get("text")
        if not isinstance(text, str):
            errors.append((f"#/{index}/text", "Required: a string."))
        elif len(text) > settings.RECORDS_MAX_TEXT:
            errors.append((f"#/{index}/text", f"At most {settings.RECORDS_MAX_TEXT:,} characters."))
        try:
            key = uuid.UUID(item["uuid"]) if "uuid" in item else uuid.uuid4()  # null is not "missing"
        except (ValueError, TypeError, AttributeError):
            errors.append((f"#/{index}/uuid", "Not a valid UUID (leave it out to have one generated)."))
            continue
        if isinstance(text, str):
            records.append(Record(key, text))
    if errors:
        raise InvalidRecords(errors)
    return records


def create_records(
    *,
    items: Any,
    ration: Callable[[list[Record]], None] | None = None,
    owner: str | None = None,
    share: float | None = None,
    repository: RecordRepository | None = None,
) -> list[Record]:
    """Save the whole batch or nothing; uuids given are kept, missing ones generated. `ration`
    (the caller's quota) sees the valid batch before it is stored and may refuse it; `owner`'s
    records stay within `share` of a capped store (RecordRepository.add_all)."""
    repository = repository or record_repository()
    records = parse_batch(items)
    seen: set[uuid.UUID] = set()
    for record in records:
        if record.uuid in seen:
            raise DuplicateRecord(record.uuid, within_batch=True)
        seen.add(record.uuid)
    if ration is not None:
        ration(records)
    repository.add_all(records, owner=owner, share=share)
    return records


def create_record(
    *,
    item: Any,
    ration: Callable[[list[Record]], None] | None = None,
    owner: str | None = None,
    share: float | None = None,
    repository: RecordRepository | None = None,
) -> Record:
    """One `{"uuid"?, "text"}` object (the seed author's client posts one per request)."""
    try:
        return create_records(items=[item], ration=ration, owner=owner, share=share, repository=repository)[0]
    except InvalidRecords as exc:  # its fields are at #/text, not #/0/text
        raise InvalidRecords([(pointer.replace("#/0", "#", 1), detail) for pointer, detail in exc.errors]) from None


@dataclass(frozen=True, slots=True)
class Saved:
    body: Any  # the stored object for an object in, the stored list for a list in
    replayed: bool = False  # a retry with the same Idempotency-Key: the first request's answer


def save(
    *,
    data: Any,
    owner: str | None = None,
    share: float | None = None,
    idempotency_key: str | None = None,
    ration: Callable[[list[Record]], None] | None = None,
    repository: RecordRepository | None = None,
) -> Saved:
    """The body of POST /new, one object or a list of them; with an `idempotency_key`, a retry of
    the same body saves nothing again and gets the first answer (idempotency.once), read back
    from the store: the key remembers uuids, never the texts, so replays hold no caller's bytes
    outside their share (a record deleted since is a 404, as a deleted task is for POST /task)."""

    def create() -> Any:
        mine = {"ration": ration, "owner": owner, "share": share, "repository": repository}
        if isinstance(data, dict):
            return create_record(item=data, **mine).as_json()
        return [record.as_json() for record in create_records(items=data, **mine)]

    if idempotency_key is None:
        return Saved(create())
    made = idempotency.once(
        scope="records",
        owner=owner,
        key=idempotency_key,
        fingerprint=idempotency.fingerprint(data),
        create=create,
        remember=_uuids_of,
    )
    if not isinstance(made, idempotency.Replay):
        return Saved(made)
    reference = made.reference
    found = [get_record(key=uuid.UUID(key), repository=repository).as_json() for key in reference["uuids"]]
    return Saved(found[0] if reference["one"] else found, replayed=True)


def _uuids_of(body: Any) -> dict[str, Any]:
    """What a key remembers of POST /new's answer: its uuids, and whether it was one object."""
    one = isinstance(body, dict)
    return {"one": one, "uuids": [record["uuid"] for record in ([body] if one else body)]}


def get_record(*, key: uuid.UUID, repository: RecordRepository | None = None) -> Record:
    record = (repository or record_repository()).get(key)
    if record is None:
        raise RecordNotFound(key)
    return record


def oldest_records(*, count: int, repository: RecordRepository | None = None) -> list[Record]:
    if count > settings.RECORDS_MAX_COUNT:
        raise InvalidCount(count, settings.RECORDS_MAX_COUNT)
    return (repository or record_repository()).oldest(count)


def all_records(*, repository: RecordRepository | None = None) -> Iterator[Record]:
    return (repository or record_repository()).stream()


def delete_record(*, key: uuid.UUID, repository: RecordRepository | None = None) -> Record:
    record = (repository or record_repository()).delete(key)
    if record is None:
        raise RecordNotFound(key)
    return record
