"""The default task store: dicts in this process, guarded by one lock.

Tasks are immutable values, so readers get a consistent snapshot without copying. State is lost
when the process exits, and only one process can use it (the settings check enforces this).
"""

from __future__ import annotations

import bisect
import dataclasses
import threading
import uuid
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from tasks.domain import Task, TaskResult, TaskStatus, utcnow
from tasks.errors import StorageQuotaExceeded, StoreFull, TooManyInProgress
from tasks.repositories.base import Census, TaskQuery
from tasks.waiting import Finishes, Watch

_SortKey = tuple[datetime, uuid.UUID]
LARGE_DELETE_BYTES = 16 * 1024 * 1024
FULL_MARGIN_BYTES = 64 * 1024  # what a small task reserves (tasks.kinds.base.SMALL_RESULT_BYTES)


class InMemoryTaskRepository:
    in_process = True

    def __init__(
        self,
        *,
        max_tasks: int,
        max_bytes: int,
        finishes: Finishes | None = None,
        on_large_delete: Callable[[], None] | None = None,
    ) -> None:
        self._max_tasks = max_tasks
        # Called (outside the lock) once a delete freed LARGE_DELETE_BYTES or more: the server
        # hands malloc's free pages back then, not at the next expiry sweep.
        self._on_large_delete = on_large_delete
        self._max_bytes = max_bytes
        self._bytes = 0  # of params, inputs and results held: images make the task count a poor bound
        self._owner_bytes: dict[str | None, int] = {}  # the same, per owner (storage quotas)
        self._lock = threading.Lock()
        self._tasks: dict[uuid.UUID, Task] = {}
        self._results: dict[uuid.UUID, TaskResult] = {}
        # (created_at, id) of every task, ascending: lets `list` page newest-first with a cursor.
        self._order: list[_SortKey] = []
        # Queued + running tasks per owner, kept current so the quota check is O(1) on submit.
        self._in_progress: dict[str | None, int] = {}
        self._finishes = finishes or Finishes.from_settings()

    def add(self, task: Task, *, max_in_progress: int | None = None, max_stored_bytes: int | None = None) -> None:
        self.add_all([task], max_in_progress=max_in_progress, max_stored_bytes=max_stored_bytes)

    def add_all(
        self, tasks: list[Task], *, max_in_progress: int | None = None, max_stored_bytes: int | None = None
    ) -> None:
        owner, size = tasks[0].owner, sum(task.stored_bytes for task in tasks)
        with self._lock:
            owned = self._owner_bytes.get(owner, 0)
            if max_stored_bytes is not None and owned + size > max_stored_bytes:
                raise StorageQuotaExceeded(max_stored_bytes, owned, size)
            if len(self._tasks) + len(tasks) > self._max_tasks:
                raise StoreFull(self._max_tasks)
            if self._bytes + size > self._max_bytes:
                raise StoreFull(self._max_tasks, max_bytes=self._max_bytes)
            active = self._in_progress.get(owner, 0)
            if max_in_progress is not None and active + len(tasks) > max_in_progress:
                raise TooManyInProgress(max_in_progress)
            self._in_progress[owner] = active + len(tasks)
            self._hold(owner, size)
            for task in tasks:
                self._tasks[task.id] = task
                key = (task.created_at, task.id)
                if not self._order or self._order[-1] < key:
                    self._order.append(key)
                else:
                    bisect.insort(self._order, key)

    def get(self, task_id: uuid.UUID) -> Task | None:
        # A single dict lookup is atomic; the hot status path takes no lock.
        return self._tasks.get(task_id)

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
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.status is not expected:
                return None
            moved = task.moved_to(target, at=at, error=error, result=result.info if result else None)
            self._tasks[task_id] = moved
            if target.terminal:
                self._finish(task.owner)
            if result is not None:
                self._results[task_id] = result
            # The reservation gives way to the result (never larger: tasks.execution checks).
            self._hold(task.owner, moved.stored_bytes - task.stored_bytes)
        if target.terminal:
            self._finishes.announce(task_id)
        return moved

    def watch_finish(self, task_id: uuid.UUID, owner: str | None) -> AbstractContextManager[Watch]:
        return self._finishes.watch(task_id, owner)

    def close(self) -> None:
        self._finishes.close()

    def set_progress(self, task_id: uuid.UUID, progress: float) -> None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None and task.status is TaskStatus.RUNNING:
                self._tasks[task_id] = dataclasses.replace(task.with_progress(progress), heartbeat_at=utcnow())

    def heartbeat(self, task_ids: Collection[uuid.UUID], at: datetime) -> None:
        self._stamp(task_ids, TaskStatus.RUNNING, heartbeat_at=at)

    def mark_dispatched(self, task_ids: Collection[uuid.UUID], at: datetime) -> None:
        self._stamp(task_ids, TaskStatus.QUEUED, dispatched_at=at)

    def _stamp(self, task_ids: Collection[uuid.UUID], status: TaskStatus, **stamp: datetime) -> None:
        """Set a time on those of the tasks that are in `status`."""
        with self._lock:
            for task_id in task_ids:
                task = self._tasks.get(task_id)
                if task is not None and task.status is status:
                    self._tasks[task_id] = dataclasses.replace(task, **stamp)

    def find_undispatched(self, *, created_before: datetime, limit: int) -> list[Task]:
        with self._lock:
            found = [
                task
                for task in self._tasks.values()
                if task.status is TaskStatus.QUEUED and task.dispatched_at is None and task.created_at < created_before
            ]
        return sorted(found, key=lambda task: task.created_at)[:limit]

    def find_lost(self, *, heartbeat_before: datetime, limit: int) -> list[Task]:
        with self._lock:
            lost = [
                task
                for task in self._tasks.values()
                if task.status is TaskStatus.RUNNING and (task.heartbeat_at or task.created_at) < heartbeat_before
            ]
            return lost[:limit]

    def claim_callback(self, task_id: uuid.UUID, *, now: datetime, lease_until: datetime) -> Task | None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None or task.callback_due_at is None or task.callback_due_at > now:
                return None
            task = self._tasks[task_id] = dataclasses.replace(task, callback_due_at=lease_until)
            return task

    def record_callback(self, task_id: uuid.UUID, attempt: Mapping[str, Any], *, due_at: datetime | None) -> None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None:
                callbacks = (*task.callbacks, dict(attempt))
                self._tasks[task_id] = dataclasses.replace(task, callbacks=callbacks, callback_due_at=due_at)

    def find_due_callbacks(self, *, due_before: datetime, limit: int) -> list[uuid.UUID]:
        with self._lock:
            due = [task for task in self._tasks.values() if task.callback_due_at and task.callback_due_at < due_before]
        return [task.id for task in sorted(due, key=lambda task: task.callback_due_at)[:limit]]

    def request_cancel(self, task_id: uuid.UUID) -> Task | None:
        with self._lock:
            task = self._tasks.get(task_id)
            if task is not None and task.status is TaskStatus.RUNNING:
                task = self._tasks[task_id] = task.with_cancel_requested()
            return task

    def get_result(self, task_id: uuid.UUID) -> TaskResult | None:
        return self._results.get(task_id)

    def delete(self, task_id: uuid.UUID) -> bool:
        with self._lock:
            task = self._tasks.get(task_id)
            freed = task.stored_bytes if task is not None else 0
            removed = self._remove(task_id)
        if removed and freed >= LARGE_DELETE_BYTES and self._on_large_delete is not None:
            self._on_large_delete()
        return removed

    def list(self, query: TaskQuery) -> list[Task]:
        with self._lock:
            end = len(self._order) if query.before is None else bisect.bisect_left(self._order, query.before)
            found: list[Task] = []
            for index in range(end - 1, -1, -1):
                task = self._tasks[self._order[index][1]]
                if (
                    (query.owner is None or task.owner == query.owner)
                    and (query.statuses is None or task.status in query.statuses)
                    and (query.kind is None or task.kind == query.kind)
                ):
                    found.append(task)
                    if len(found) == query.limit:
                        break
            return found

    def count_in_progress(self, owner: str) -> int:
        return self._in_progress.get(owner, 0)

    def stored_bytes(self, owner: str) -> int:
        return self._owner_bytes.get(owner, 0)

    def count(self, *, statuses: Collection[TaskStatus] | None = None) -> int:
        with self._lock:
            if statuses is None:
                return len(self._tasks)
            return sum(1 for task in self._tasks.values() if task.status in statuses)

    def census(self) -> Census:
        with self._lock:  # the three figures of one moment
            return Census(len(self._tasks), self._bytes, sum(self._in_progress.values()))

    def purge_finished(self, *, before: datetime) -> int:
        with self._lock:
            expired = {
                task.id for task in self._tasks.values() if task.finished_at is not None and task.finished_at < before
            }
            if expired:
                for task_id in expired:
                    self._forget(self._tasks.pop(task_id))
                # One pass, not one list deletion per task: purges can be large.
                self._order = [key for key in self._order if key[1] not in expired]
            return len(expired)

    def check(self) -> None:
        """Usable unless not even a small task fits (the store is this process's memory). One
        caller at their share does not get here: shares and results' room are reserved at submit."""
        bytes_full = self._bytes + FULL_MARGIN_BYTES > self._max_bytes
        if len(self._tasks) >= self._max_tasks or bytes_full:
            raise StoreFull(self._max_tasks, max_bytes=self._max_bytes if bytes_full else None)

    def _hold(self, owner: str | None, size: int) -> None:
        self._bytes += size
        self._owner_bytes[owner] = self._owner_bytes.get(owner, 0) + size

    def _forget(self, task: Task) -> None:
        """Release what the task held against the byte budgets."""
        self._results.pop(task.id, None)
        size = task.stored_bytes
        self._bytes -= size
        left = self._owner_bytes[task.owner] - size
        if left:
            self._owner_bytes[task.owner] = left
        else:
            del self._owner_bytes[task.owner]

    def _finish(self, owner: str | None) -> None:
        left = self._in_progress[owner] - 1
        if left:
            self._in_progress[owner] = left
        else:
            del self._in_progress[owner]  # owners come and go: keep the dict to those with work

    def _remove(self, task_id: uuid.UUID) -> bool:
        task = self._tasks.pop(task_id, None)
        if task is None:
            return False
        if not task.status.terminal:
            self._finish(task.owner)
        self._forget(task)
        key = (task.created_at, task.id)
        index = bisect.bisect_left(self._order, key)
        del self._order[index]
        return True
