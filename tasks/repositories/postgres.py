"""The PostgreSQL task store (TASK_STORE=postgres), through the Django ORM.

Every state change is one conditional UPDATE (`... WHERE id = %s AND status = %s`), so two
workers on two machines can never both start or both finish a task. Bytes (inputs, binary
results) live in the blob store, so any worker anywhere can read them and status reads never do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from tasks.domain import TRANSITIONS, IllegalTransition, ResultInfo, Task, TaskResult, TaskStatus, utcnow
from tasks.errors import StorageQuotaExceeded, TooManyInProgress
from tasks.models import OwnerUsage, TaskRecord
from tasks.repositories.base import TaskQuery
from tasks.repositories.blobs import BlobStore, DatabaseBlobStore

INPUT = "input:"
RESULT = "result"


def _to_task(row: TaskRecord) -> Task:
    result = None
    if row.result_content_type is not None:
        result = ResultInfo(row.result_content_type, row.result_size, row.result_filename, row.result_meta or {})
    return Task(
        id=row.id,
        kind=row.kind,
        params=row.params,
        created_at=row.created_at,
        owner=row.owner,
        status=TaskStatus(row.status),
        progress=row.progress,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        cancel_requested=row.cancel_requested,
        result=result,
        attempts=row.attempts,
        heartbeat_at=row.heartbeat_at,
        dispatched_at=row.dispatched_at,
        input_bytes=row.input_bytes,
    )


def _transition_changes(
    target: TaskStatus, at: datetime, error: str | None, result: TaskResult | None
) -> tuple[list[str], list[Any]]:
    """`Task.moved_to` as SQL assignments (the contract tests hold the two stores to one behaviour)."""
    sets, values = ["status = %s"], [target.value]
    if target is TaskStatus.RUNNING:
        sets += ["started_at = %s", "heartbeat_at = %s", "attempts = attempts + 1"]
        values += [at, at]
    if target is TaskStatus.QUEUED:  # queued anew: undispatched until the dispatcher has it
        sets += ["started_at = NULL", "heartbeat_at = NULL", "progress = 0", "dispatched_at = NULL"]
    if target.terminal:
        sets += ["finished_at = %s", "error = %s"]
        values += [at, error]
    if target is TaskStatus.SUCCEEDED:
        sets.append("progress = 1")
        if result is not None:
            info = result.info
            sets += ["result_content_type = %s", "result_size = %s", "result_filename = %s", "result_meta = %s::jsonb"]
            values += [info.content_type, info.size, info.filename, json.dumps(dict(info.meta))]
    return sets, values


class PostgresTaskRepository:
    def __init__(self, blobs: BlobStore | None = None) -> None:
        self._blobs = blobs or DatabaseBlobStore()

    def add(self, task: Task, *, max_in_progress: int | None = None, max_stored_bytes: int | None = None) -> None:
        with transaction.atomic():
            if (max_in_progress is not None or max_stored_bytes is not None) and task.owner is not None:
                # One owner's submissions queue up on this lock (held until commit) so that the
                # counts and the insert are one step, across every web process.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [task.owner])
                active, held = self._owner_use(task.owner)
                if max_stored_bytes is not None and held + task.stored_bytes > max_stored_bytes:
                    raise StorageQuotaExceeded(max_stored_bytes, held)
                if max_in_progress is not None and active >= max_in_progress:
                    raise TooManyInProgress(max_in_progress)
            TaskRecord.objects.create(
                id=task.id,
                kind=task.kind,
                params=dict(task.params),
                owner=task.owner,
                status=task.status.value,
                progress=task.progress,
                created_at=task.created_at,
                input_bytes=task.input_bytes,
            )
            for name, data in task.inputs.items():
                self._blobs.put(task.id, INPUT + name, data)

    def get(self, task_id: uuid.UUID) -> Task | None:
        row = TaskRecord.objects.filter(id=task_id).first()
        return _to_task(row) if row is not None else None

    def transition(
        self,
        task_id: uuid.UUID,
        *,
        expected: TaskStatus,
        target: TaskStatus,
        at: datetime,
        error: str | None = None,
        result: TaskResult | None = None,
    ) -> Task | None:
        """One `UPDATE ... WHERE status = expected RETURNING` (the compare-and-set itself), plus the
        result's blob in the same transaction: a claim was a SELECT and three statements more."""
        if target not in TRANSITIONS[expected]:
            raise IllegalTransition(f"task {task_id}: {expected} -> {target} is not allowed")
        sets, values = _transition_changes(target, at, error, result)
        sql = f"UPDATE task SET {', '.join(sets)} WHERE id = %s AND status = %s RETURNING *"
        params = [*values, task_id, expected.value]
        if result is None:  # one statement, committed on its own
            rows = list(TaskRecord.objects.raw(sql, params))
        else:
            with transaction.atomic():
                rows = list(TaskRecord.objects.raw(sql, params))
                if rows:
                    self._blobs.put(task_id, RESULT, result.data)
        if not rows:
            return None  # gone, or another actor moved it first
        return _to_task(rows[0])

    def set_progress(self, task_id: uuid.UUID, progress: float) -> None:
        TaskRecord.objects.filter(id=task_id, status=TaskStatus.RUNNING.value).update(
            progress=min(1.0, max(0.0, progress)), heartbeat_at=utcnow()
        )

    def heartbeat(self, task_id: uuid.UUID, at: datetime) -> None:
        TaskRecord.objects.filter(id=task_id, status=TaskStatus.RUNNING.value).update(heartbeat_at=at)

    def mark_dispatched(self, task_id: uuid.UUID, at: datetime) -> None:
        TaskRecord.objects.filter(id=task_id).update(dispatched_at=at)

    def find_undispatched(self, *, created_before: datetime, limit: int) -> list[Task]:
        rows = TaskRecord.objects.filter(
            status=TaskStatus.QUEUED.value, dispatched_at__isnull=True, created_at__lt=created_before
        )
        return [_to_task(row) for row in rows.order_by("created_at")[:limit]]

    def find_lost(self, *, heartbeat_before: datetime, limit: int) -> list[Task]:
        rows = TaskRecord.objects.filter(status=TaskStatus.RUNNING.value, heartbeat_at__lt=heartbeat_before)
        return [_to_task(row) for row in rows.order_by("heartbeat_at")[:limit]]

    def request_cancel(self, task_id: uuid.UUID) -> Task | None:
        TaskRecord.objects.filter(id=task_id, status=TaskStatus.RUNNING.value).update(cancel_requested=True)
        return self.get(task_id)

    def get_result(self, task_id: uuid.UUID) -> TaskResult | None:
        row = (
            TaskRecord.objects.filter(id=task_id).only("result_content_type", "result_filename", "result_meta").first()
        )
        if row is None or row.result_content_type is None:
            return None
        data = self._blobs.get(task_id, RESULT).get(RESULT)
        if data is None:
            return None
        return TaskResult(data, row.result_content_type, row.result_filename, row.result_meta or {})

    def get_inputs(self, task_id: uuid.UUID) -> dict[str, bytes]:
        return {name.removeprefix(INPUT): data for name, data in self._blobs.get(task_id, INPUT).items()}

    def delete(self, task_id: uuid.UUID) -> bool:
        with transaction.atomic():
            self._blobs.delete_all(task_id)
            deleted, _ = TaskRecord.objects.filter(id=task_id).delete()
        return deleted > 0

    def count_in_progress(self, owner: str) -> int:
        return self._owner_use(owner)[0]

    def stored_bytes(self, owner: str) -> int:
        return self._owner_use(owner)[1]

    def _owner_use(self, owner: str) -> tuple[int, int]:
        """(tasks in progress, bytes held) of one owner: one row, kept by a trigger (migration 0005)."""
        return OwnerUsage.objects.filter(owner=owner).values_list("active", "stored_bytes").first() or (0, 0)

    def list(self, query: TaskQuery) -> list[Task]:
        rows = TaskRecord.objects.all() if query.owner is None else TaskRecord.objects.filter(owner=query.owner)
        if query.statuses is not None:
            rows = rows.filter(status__in=[status.value for status in query.statuses])
        if query.kind is not None:
            rows = rows.filter(kind=query.kind)
        if query.before is not None:
            created_at, task_id = query.before
            rows = rows.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=task_id))
        return [_to_task(row) for row in rows.order_by("-created_at", "-id")[: query.limit]]

    def count(self, *, statuses: Collection[TaskStatus] | None = None) -> int:
        rows = TaskRecord.objects.all()
        if statuses is not None:
            rows = rows.filter(status__in=[status.value for status in statuses])
        return rows.count()

    def purge_finished(self, *, before: datetime) -> int:
        expired = TaskRecord.objects.filter(finished_at__lt=before)
        with transaction.atomic():
            count = expired.count()
            expired.delete()  # blobs go with them (ON DELETE CASCADE)
        return count

    def check(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
