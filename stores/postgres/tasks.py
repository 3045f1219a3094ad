"""The PostgreSQL task store (TASK_STORE=postgres): the tables are Django models (tasks/models.py),
the calls are SQL.

Every state change is one conditional UPDATE (`... WHERE id = %s AND status = %s`), so two
workers on two machines can never both start or both finish a task. Bytes (inputs, binary
results) live in `task_blob`, so any worker anywhere can read them and status reads never do;
they are written and read in the same statement as the task row they belong to.
"""

from __future__ import annotations

import json
import operator
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

import psycopg
from django.db import connection, transaction

from stores.postgres.listener import FinishListener
from tasks.domain import TRANSITIONS, IllegalTransition, ResultInfo, Task, TaskResult, TaskStatus, utcnow
from tasks.errors import StorageQuotaExceeded, TooManyInProgress
from tasks.models import TaskRecord
from tasks.repositories.base import Census, TaskQuery
from tasks.waiting import Finishes, Watch

INPUT = "input:"
RESULT = "result"


# The task row's columns, which `_from_row` reads by these names.
COLUMN_NAMES = (
    "id",
    "kind",
    "params",
    "owner",
    "status",
    "progress",
    "created_at",
    "started_at",
    "finished_at",
    "error",
    "cancel_requested",
    "result_content_type",
    "result_size",
    "result_filename",
    "result_meta",
    "attempts",
    "heartbeat_at",
    "dispatched_at",
    "input_bytes",
    "callback_url",
    "callbacks",
    "callback_due_at",
    "reserved_bytes",
    "callback_style",
)
COLUMNS = ", ".join(COLUMN_NAMES)
# The columns that are a Task field of the same name, as stored, and a getter of their values.
PLAIN_FIELDS = tuple(
    name for name in COLUMN_NAMES if name not in {"params", "status", "callbacks"} and not name.startswith("result_")
)
_plain = operator.itemgetter(*(COLUMN_NAMES.index(name) for name in PLAIN_FIELDS))
_converted = operator.itemgetter(
    *(COLUMN_NAMES.index(name) for name in ("params", "status", "callbacks", "result_content_type", "result_size"))
)
_result_rest = operator.itemgetter(COLUMN_NAMES.index("result_filename"), COLUMN_NAMES.index("result_meta"))
HAS_INPUTS_AT = len(COLUMN_NAMES)  # a claim's row: COLUMNS, then HAS_INPUTS
# What a row holds against the byte budgets: Task.stored_bytes (the usage trigger sums the same).
HELD = "input_bytes + coalesce(result_size, CASE WHEN status IN ('queued', 'running') THEN reserved_bytes ELSE 0 END)"
INSERT = (
    "INSERT INTO task (id, kind, params, owner, status, progress, created_at, input_bytes, reserved_bytes,"
    " callback_url, callback_style, cancel_requested, attempts, callbacks)"
    " SELECT %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s, false, 0, '[]'::jsonb"
)
# Whether the claimed task has inputs to load (most tasks have none: a claim stays one statement).
HAS_INPUTS = "EXISTS (SELECT FROM task_blob WHERE task_id = moved.id AND name LIKE 'input:%%')"


def _put_blobs(source: str, blobs: dict[str, bytes]) -> tuple[str, list[Any]]:
    """A CTE that writes `blobs` for the task row the CTE `source` returned ("" when none). One
    parameter per blob: passed as a bytea[] to unnest, a 627 KB image cost the server 25 ms."""
    if not blobs:
        return "", []
    values = ", ".join(["(%s, %s::bytea)"] * len(blobs))
    sql = (
        f", blobs AS (INSERT INTO task_blob (task_id, name, data) SELECT {source}.id, blob.name, blob.data"
        f" FROM {source}, (VALUES {values}) AS blob (name, data)"
        " ON CONFLICT (task_id, name) DO UPDATE SET data = EXCLUDED.data)"
    )
    return sql, [value for pair in blobs.items() for value in pair]


def _from_row(row: Sequence[Any], inputs: dict[str, bytes] | None = None) -> Task:
    """A task from a row that starts with COLUMNS."""
    params, status, callbacks, content_type, size = _converted(row)
    result = None
    if content_type is not None:
        filename, meta = _result_rest(row)
        result = ResultInfo(content_type, size, filename, json.loads(meta) if meta is not None else {})
    return Task(
        **dict(zip(PLAIN_FIELDS, _plain(row), strict=True)),
        params=json.loads(params),
        status=TaskStatus(status),
        result=result,
        callbacks=tuple(json.loads(callbacks)),
        inputs=inputs or {},
    )


def _transition_changes(
    target: TaskStatus, at: datetime, error: str | None, result: TaskResult | None
) -> tuple[list[str], list[Any]]:
    """`Task.moved_to` as SQL assignments (the contract tests hold the two stores to one behaviour)."""
    sets, values = ["status = %s"], [target.value]
    if target is TaskStatus.RUNNING:
        sets += ["started_at = %s", "heartbeat_at = %s", "attempts = attempts + 1"]
        values += [at, at]
    if target is TaskStatus.QUEUED:  # queued anew: undispatched until the executor has it
        sets += ["started_at = NULL", "heartbeat_at = NULL", "progress = 0", "dispatched_at = NULL"]
    if target.terminal:
        sets += [
            "finished_at = %s",
            "error = %s",
            "callback_due_at = CASE WHEN callback_url IS NULL THEN NULL ELSE %s END",
        ]
        values += [at, error, at]
    if target is TaskStatus.SUCCEEDED:
        sets.append("progress = 1")
        if result is not None:
            info = result.info
            sets += ["result_content_type = %s", "result_size = %s", "result_filename = %s", "result_meta = %s::jsonb"]
            values += [info.content_type, info.size, info.filename, json.dumps(dict(info.meta))]
    return sets, values


def _or_unbounded(limit: int | None) -> int:
    return (1 << 62) if limit is None else limit


@contextmanager
def _cursor(*, carries_bytes: bool = False) -> Iterator[Any]:
    """Django's cursor, or for statements that carry bytes a psycopg cursor that binds parameters
    on the server (bytes go as they are) and can read bytea in binary: Django's client-side binding
    writes bytes as an escaped SQL literal, and reads them as hex, so a 1 MB image written and read
    back took 30 ms instead of 3.5 ms."""
    if not carries_bytes:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def _execute(sql: str, params: Sequence[Any]) -> None:
    with _cursor() as cursor:
        cursor.execute(sql, params)


def _fetch(sql: str, params: Sequence[Any], *, carries_bytes: bool = False) -> tuple[Any, ...] | None:
    with _cursor(carries_bytes=carries_bytes) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _fetch_bytes(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows in binary format: only for bytea and text columns (Django's loaders are for text)."""
    with _cursor(carries_bytes=True) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _fetch_tasks(condition: str, params: Sequence[Any]) -> list[Task]:
    """The tasks `SELECT ... FROM task WHERE <condition>` finds, in its order."""
    with _cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM task WHERE {condition}", params)
        return [_from_row(row) for row in cursor.fetchall()]


def _listening_connection() -> psycopg.Connection:
    """A connection of its own (LISTEN holds it), to the database Django's default one uses."""
    return psycopg.connect(**connection.get_connection_params(), autocommit=True)


class PostgresTaskRepository:
    """The hot calls (submit, status, claim, finish) are one hand-written statement each, in
    autocommit: through the ORM, a status read cost 1.1 ms of CPU and a submit five round trips."""

    in_process = False

    def __init__(self, *, finishes: Finishes | None = None) -> None:
        self._finishes = finishes or Finishes.from_settings()
        self._listener = FinishListener(self._finishes, _listening_connection)

    def add(self, task: Task, *, max_in_progress: int | None = None, max_stored_bytes: int | None = None) -> None:
        """One statement: lock the owner's usage row (an upsert that changes nothing), insert the
        task and its inputs only if the quotas allow, and return the usage that was checked.
        Concurrent submits of one owner queue on that row lock, across every web process."""
        row = [task.id, task.kind, json.dumps(dict(task.params)), task.owner, task.status.value, task.progress]
        row += [task.created_at, task.input_bytes, task.reserved_bytes, task.callback_url, task.callback_style]
        put_blobs, blobs = _put_blobs("added", {INPUT + name: data for name, data in task.inputs.items()})
        if (max_in_progress is None and max_stored_bytes is None) or task.owner is None:
            _fetch(
                f"WITH added AS ({INSERT} RETURNING id){put_blobs} SELECT 1", [*row, *blobs], carries_bytes=bool(blobs)
            )
            return
        held, added = _fetch(
            "WITH usage AS (INSERT INTO task_owner_usage AS usage (owner, active, stored_bytes) VALUES (%s, 0, 0)"
            " ON CONFLICT (owner) DO UPDATE SET owner = usage.owner RETURNING active, stored_bytes),"
            f" added AS ({INSERT} FROM usage WHERE usage.active < %s AND usage.stored_bytes + %s <= %s RETURNING id)"
            f"{put_blobs} SELECT usage.stored_bytes, EXISTS (SELECT FROM added) FROM usage",
            [
                task.owner,
                *row,
                _or_unbounded(max_in_progress),
                task.stored_bytes,
                _or_unbounded(max_stored_bytes),
                *blobs,
            ],
            carries_bytes=bool(blobs),
        )
        if added:
            return
        if max_stored_bytes is not None and held + task.stored_bytes > max_stored_bytes:
            raise StorageQuotaExceeded(max_stored_bytes, held, task.stored_bytes)
        raise TooManyInProgress(max_in_progress)

    def add_all(
        self, tasks: list[Task], *, max_in_progress: int | None = None, max_stored_bytes: int | None = None
    ) -> None:
        """One task: `add`'s one statement. More: one transaction, the owner's usage row locked (as
        `add` does), the quotas checked for the whole batch, then each task inserted."""
        if len(tasks) == 1:
            self.add(tasks[0], max_in_progress=max_in_progress, max_stored_bytes=max_stored_bytes)
            return
        owner, size = tasks[0].owner, sum(task.stored_bytes for task in tasks)
        with transaction.atomic():
            if owner is not None and (max_in_progress is not None or max_stored_bytes is not None):
                active, held = _fetch(
                    "INSERT INTO task_owner_usage AS usage (owner, active, stored_bytes) VALUES (%s, 0, 0)"
                    " ON CONFLICT (owner) DO UPDATE SET owner = usage.owner RETURNING active, stored_bytes",
                    [owner],
                )
                if max_stored_bytes is not None and held + size > max_stored_bytes:
                    raise StorageQuotaExceeded(max_stored_bytes, held, size)
                if max_in_progress is not None and active + len(tasks) > max_in_progress:
                    raise TooManyInProgress(max_in_progress)
            for task in tasks:
                self.add(task)

    def get(self, task_id: uuid.UUID) -> Task | None:
        row = _fetch(f"SELECT {COLUMNS} FROM task WHERE id = %s", [task_id])
        return _from_row(row) if row is not None else None

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
        """One statement: the compare-and-set `UPDATE ... WHERE status = expected`, with the
        result's blob written for a success (and a second one to read a claimed task's inputs)."""
        if target not in TRANSITIONS[expected]:
            raise IllegalTransition(f"task {task_id}: {expected} -> {target} is not allowed")
        sets, values = _transition_changes(target, at, error, result)
        moved = f"UPDATE task SET {', '.join(sets)} WHERE id = %s AND status = %s RETURNING {COLUMNS}"
        params: list[Any] = [*values, task_id, expected.value]
        if target is TaskStatus.RUNNING:
            sql = f"WITH moved AS ({moved}) SELECT moved.*, {HAS_INPUTS} FROM moved"
        elif result is not None:
            put_blobs, blobs = _put_blobs("moved", {RESULT: result.data})
            sql = f"WITH moved AS ({moved}){put_blobs} SELECT * FROM moved"
            params += blobs
        else:
            sql = moved
        row = _fetch(sql, params, carries_bytes=result is not None)
        if row is None:
            return None  # gone, or another actor moved it first
        return _from_row(row, self._inputs(task_id) if target is TaskStatus.RUNNING and row[HAS_INPUTS_AT] else None)

    def _inputs(self, task_id: uuid.UUID) -> dict[str, bytes]:
        rows = _fetch_bytes("SELECT name, data FROM task_blob WHERE task_id = %s AND name LIKE 'input:%%'", [task_id])
        return {name.removeprefix(INPUT): data for name, data in rows}

    def set_progress(self, task_id: uuid.UUID, progress: float) -> None:
        _execute(
            "UPDATE task SET progress = %s, heartbeat_at = %s WHERE id = %s AND status = %s",
            [min(1.0, max(0.0, progress)), utcnow(), task_id, TaskStatus.RUNNING.value],
        )

    def heartbeat(self, task_ids: Collection[uuid.UUID], at: datetime) -> None:
        _execute(
            "UPDATE task SET heartbeat_at = %s WHERE id = ANY(%s) AND status = %s",
            [at, list(task_ids), TaskStatus.RUNNING.value],
        )

    def mark_dispatched(self, task_ids: Collection[uuid.UUID], at: datetime) -> None:
        _execute(
            "UPDATE task SET dispatched_at = %s WHERE id = ANY(%s) AND status = %s",
            [at, list(task_ids), TaskStatus.QUEUED.value],
        )

    def find_undispatched(self, *, created_before: datetime, limit: int) -> list[Task]:
        return _fetch_tasks(
            "status = %s AND dispatched_at IS NULL AND created_at < %s ORDER BY created_at LIMIT %s",
            [TaskStatus.QUEUED.value, created_before, limit],
        )

    def find_lost(self, *, heartbeat_before: datetime, limit: int) -> list[Task]:
        return _fetch_tasks(
            "status = %s AND heartbeat_at < %s ORDER BY heartbeat_at LIMIT %s",
            [TaskStatus.RUNNING.value, heartbeat_before, limit],
        )

    def claim_callback(self, task_id: uuid.UUID, *, now: datetime, lease_until: datetime) -> Task | None:
        row = _fetch(
            f"UPDATE task SET callback_due_at = %s WHERE id = %s AND callback_due_at <= %s RETURNING {COLUMNS}",
            [lease_until, task_id, now],
        )
        return _from_row(row) if row is not None else None

    def record_callback(self, task_id: uuid.UUID, attempt: Mapping[str, Any], *, due_at: datetime | None) -> None:
        _execute(
            "UPDATE task SET callbacks = callbacks || %s::jsonb, callback_due_at = %s WHERE id = %s",
            [json.dumps([dict(attempt)]), due_at, task_id],
        )

    def find_due_callbacks(self, *, due_before: datetime, limit: int) -> list[uuid.UUID]:
        with _cursor() as cursor:
            cursor.execute(
                "SELECT id FROM task WHERE callback_due_at IS NOT NULL AND callback_due_at < %s"
                " ORDER BY callback_due_at LIMIT %s",
                [due_before, limit],
            )
            return [row[0] for row in cursor.fetchall()]

    def request_cancel(self, task_id: uuid.UUID) -> Task | None:
        _execute(
            "UPDATE task SET cancel_requested = true WHERE id = %s AND status = %s", [task_id, TaskStatus.RUNNING.value]
        )
        return self.get(task_id)

    def get_result(self, task_id: uuid.UUID) -> TaskResult | None:
        rows = _fetch_bytes(
            "SELECT blob.data, task.result_content_type, task.result_filename, task.result_meta::text FROM task"
            " JOIN task_blob AS blob ON blob.task_id = task.id AND blob.name = %s"
            " WHERE task.id = %s AND task.result_content_type IS NOT NULL",
            [RESULT, task_id],
        )
        if not rows:
            return None
        [(data, content_type, filename, meta)] = rows
        return TaskResult(data, content_type, filename, json.loads(meta) if meta is not None else {})

    def delete(self, task_id: uuid.UUID) -> bool:
        """One statement: the task's blobs and then the task (the foreign key is checked at the end)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH blobs AS (DELETE FROM task_blob WHERE task_id = %s) DELETE FROM task WHERE id = %s",
                [task_id, task_id],
            )
            return cursor.rowcount > 0

    def count_in_progress(self, owner: str) -> int:
        return self._owner_use(owner)[0]

    def stored_bytes(self, owner: str) -> int:
        return self._owner_use(owner)[1]

    def _owner_use(self, owner: str) -> tuple[int, int]:
        """(tasks in progress, bytes held) of one owner: one row, kept by a trigger (migration 0005)."""
        row = _fetch("SELECT active, stored_bytes FROM task_owner_usage WHERE owner = %s", [owner])
        return (row[0], row[1]) if row is not None else (0, 0)

    def list(self, query: TaskQuery) -> list[Task]:
        where, params = ["true"], []
        if query.owner is not None:
            where.append("owner = %s")
            params.append(query.owner)
        if query.statuses is not None:
            where.append("status = ANY(%s)")
            params.append([status.value for status in query.statuses])
        if query.kind is not None:
            where.append("kind = %s")
            params.append(query.kind)
        if query.before is not None:
            where.append("(created_at, id) < (%s, %s)")
            params += query.before
        return _fetch_tasks(f"{' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT %s", [*params, query.limit])

    def count(self, *, statuses: Collection[TaskStatus] | None = None) -> int:
        rows = TaskRecord.objects.all()
        if statuses is not None:
            rows = rows.filter(status__in=[status.value for status in statuses])
        return rows.count()

    def census(self) -> Census:
        tasks, stored, in_progress = _fetch(
            f"SELECT count(*), coalesce(sum({HELD}), 0),"
            " count(*) FILTER (WHERE status IN ('queued', 'running')) FROM task",
            [],
        )
        return Census(tasks, int(stored), in_progress)

    def purge_finished(self, *, before: datetime) -> int:
        expired = TaskRecord.objects.filter(finished_at__lt=before)
        with transaction.atomic():
            count = expired.count()
            expired.delete()  # Django deletes their blobs first (TaskBlob's on_delete=CASCADE)
        return count

    def watch_finish(self, task_id: uuid.UUID, owner: str | None) -> AbstractContextManager[Watch]:
        """Woken by the NOTIFY of migration 0007's trigger, whichever process finished the task."""
        self._listener.ensure_started()
        return self._finishes.watch(task_id, owner)

    def close(self) -> None:
        self._finishes.close()
        self._listener.stop()

    def check(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
