"""The PostgreSQL records store (TASK_STORE=postgres), through the Django ORM."""

import uuid
from collections.abc import Iterator

from django.db import IntegrityError, connection, transaction

from records.domain import Record
from records.errors import DuplicateRecord
from records.models import RecordRow

STREAM_CHUNK = 2000


class PostgresRecordRepository:
    def add_all(self, records: list[Record], *, owner: str | None = None, share: float | None = None) -> None:
        # No caps here (the database's disk is the operator's): shares apply to capped stores.
        try:
            with transaction.atomic():
                RecordRow.objects.bulk_create([RecordRow(uuid=r.uuid, text=r.text) for r in records])
        except IntegrityError:
            taken = RecordRow.objects.filter(uuid__in=[r.uuid for r in records]).values_list("uuid", flat=True)
            raise DuplicateRecord(next(iter(taken), records[0].uuid), within_batch=False) from None

    def get(self, key: uuid.UUID) -> Record | None:
        row = RecordRow.objects.filter(uuid=key).only("uuid", "text").first()
        return Record(row.uuid, row.text) if row else None

    def oldest(self, count: int) -> list[Record]:
        return [Record(u, t) for u, t in RecordRow.objects.order_by("seq").values_list("uuid", "text")[:count]]

    def stream(self) -> Iterator[Record]:
        # A server-side cursor: rows arrive STREAM_CHUNK at a time, never all at once.
        rows = RecordRow.objects.order_by("seq").values_list("uuid", "text").iterator(chunk_size=STREAM_CHUNK)
        return (Record(u, t) for u, t in rows)

    def delete(self, key: uuid.UUID) -> Record | None:
        # One statement: of two concurrent deletes, exactly one gets the row back.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM record WHERE uuid = %s RETURNING uuid, text", [key])
            row = cursor.fetchone()
        return Record(*row) if row else None  # (uuid, text), as the RETURNING names them

    def count(self) -> int:
        return RecordRow.objects.count()
