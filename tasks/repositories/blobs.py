"""Where a database store keeps bytes. An object store (S3, ...) can implement the same three calls."""

from __future__ import annotations

import uuid
from typing import Protocol

from django.db import connection

from tasks.models import TaskBlob


class BlobStore(Protocol):
    def put(self, task_id: uuid.UUID, name: str, data: bytes) -> None: ...

    def get(self, task_id: uuid.UUID, prefix: str) -> dict[str, bytes]:
        """Every blob of the task whose name starts with `prefix`, by name."""

    def delete_all(self, task_id: uuid.UUID) -> None: ...


class DatabaseBlobStore:
    """Blobs in the `task_blob` table; they go with their task (ON DELETE CASCADE)."""

    def put(self, task_id: uuid.UUID, name: str, data: bytes) -> None:
        # One statement: update_or_create took a savepoint, a SELECT FOR UPDATE and a second savepoint.
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO task_blob (task_id, name, data) VALUES (%s, %s, %s) "
                "ON CONFLICT (task_id, name) DO UPDATE SET data = EXCLUDED.data",
                [task_id, name, data],
            )

    def get(self, task_id: uuid.UUID, prefix: str) -> dict[str, bytes]:
        rows = TaskBlob.objects.filter(task_id=task_id, name__startswith=prefix).values_list("name", "data")
        return {name: bytes(data) for name, data in rows}

    def delete_all(self, task_id: uuid.UUID) -> None:
        TaskBlob.objects.filter(task_id=task_id).delete()
