"""The storage interface every task repository implements (and the contract suite checks)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from tasks.domain import Task, TaskResult, TaskStatus
from tasks.waiting import Watch


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """One page of tasks, newest first, strictly older than `before` when given.

    `owner` None means every owner's: only staff tools ask for that, never the API.
    """

    owner: str | None
    limit: int
    statuses: Collection[TaskStatus] | None = None
    kind: str | None = None
    before: tuple[datetime, uuid.UUID] | None = None


class Census(NamedTuple):
    tasks: int
    stored_bytes: int  # inputs and results
    in_progress: int  # queued or running


class TaskRepository(Protocol):
    # True when the tasks live in this process's memory: no other process can expire them, so
    # this one's executor sweeps them (a shared database is swept by a scheduled job).
    in_process: bool

    def add(self, task: Task, *, max_in_progress: int | None = None, max_stored_bytes: int | None = None) -> None:
        """Store a new task; raises StoreFull when the store holds its maximum, TooManyInProgress
        when its owner already has `max_in_progress` tasks queued or running, and
        StorageQuotaExceeded when the owner's tasks would hold more than `max_stored_bytes`
        (checked and inserted atomically, so concurrent submissions cannot overshoot)."""

    def add_all(
        self, tasks: list[Task], *, max_in_progress: int | None = None, max_stored_bytes: int | None = None
    ) -> None:
        """Store tasks of one owner all or none, the quotas counting them together (as `add`)."""

    def count_in_progress(self, owner: str) -> int:
        """How many of the owner's tasks are queued or running."""

    def stored_bytes(self, owner: str) -> int:
        """What the owner's tasks hold: params and inputs, plus results (`Task.stored_bytes`)."""

    def get(self, task_id: uuid.UUID) -> Task | None: ...

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
        """Compare-and-set: move the task only if its status is still `expected`.

        Returns the updated task, or None when the task is gone or another actor moved it first,
        so two executors can never both start or finish one task. A claim (to `running`) returns
        the task with its binary inputs, which `get` need not load.
        """

    def set_progress(self, task_id: uuid.UUID, progress: float) -> None:
        """Record progress of a running task (a heartbeat too); ignored once it left `running`."""

    def heartbeat(self, task_ids: Collection[uuid.UUID], at: datetime) -> None:
        """Record that the workers running these tasks are alive (one write for them all)."""

    def find_lost(self, *, heartbeat_before: datetime, limit: int) -> list[Task]:
        """Running tasks whose worker has not been heard from since `heartbeat_before`."""

    def mark_dispatched(self, task_ids: Collection[uuid.UUID], at: datetime) -> None:
        """Record that these tasks were handed to the executor, for those still queued (a claimed
        one needs no record; moving it to `queued` again clears it). One write for them all."""

    def find_undispatched(self, *, created_before: datetime, limit: int) -> list[Task]:
        """Queued tasks never handed to the executor (their web process died, or a requeue
        stopped half-way), created before `created_before`."""

    def claim_callback(self, task_id: uuid.UUID, *, now: datetime, lease_until: datetime) -> Task | None:
        """Take the task's webhook delivery if one is due by `now` (compare-and-set: one deliverer
        at a time), holding it until `lease_until`; the task, or None when none is due."""

    def record_callback(self, task_id: uuid.UUID, attempt: Mapping[str, Any], *, due_at: datetime | None) -> None:
        """Append a delivery attempt to `Task.callbacks`; `due_at` is the next one (None: no more)."""

    def find_due_callbacks(self, *, due_before: datetime, limit: int) -> list[uuid.UUID]:
        """Tasks whose webhook delivery was due before `due_before` (a lost or overdue attempt)."""

    def request_cancel(self, task_id: uuid.UUID) -> Task | None:
        """Flag a running task for cooperative cancellation; returns the task as stored."""

    def get_result(self, task_id: uuid.UUID) -> TaskResult | None: ...

    def delete(self, task_id: uuid.UUID) -> bool: ...

    def list(self, query: TaskQuery) -> list[Task]: ...

    def count(self, *, statuses: Collection[TaskStatus] | None = None) -> int: ...

    def census(self) -> Census:
        """What the store holds now, in one read (the metrics' gauges)."""

    def purge_finished(self, *, before: datetime) -> int:
        """Delete terminal tasks that finished before `before`; returns how many went."""

    def watch_finish(self, task_id: uuid.UUID, owner: str | None) -> AbstractContextManager[Watch]:
        """Within the block, a watch woken when the task reaches a terminal status, in this process
        whichever process moved it (it may also wake for nothing: re-read the task).
        Raises TooManyWaiters past the process's bounds (tasks.waiting.Finishes)."""

    def close(self) -> None:
        """Release what the store holds in this process (waiters are woken, listeners stop)."""

    def check(self) -> None:
        """Raise if the store cannot be used (readiness probe)."""
