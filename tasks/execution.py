"""Runs one task through its kind's handler and records the outcome. Every executor calls this."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable

from tasks.domain import Task, TaskResult, TaskStatus, utcnow
from tasks.kinds import get_kind
from tasks.kinds.base import TaskCancelled
from tasks.repositories.base import TaskRepository
from tasks.signals import task_finished

logger = logging.getLogger(__name__)

SHUTDOWN_WHILE_QUEUED = "The service shut down before the task started."
SHUTDOWN_WHILE_RUNNING = "The service shut down while the task was running."
MAX_ERROR_CHARS = 1000


class RepositoryContext:
    """A handler's view of its task. Cancellation checks hit the store at most every interval,
    the first one an interval after the claim (which found no cancel requested): a task shorter
    than that reads its row no more than once, when it is claimed."""

    def __init__(
        self,
        task_id: uuid.UUID,
        repository: TaskRepository,
        stopping: Callable[[], bool],
        *,
        check_interval: float = 0.2,
    ) -> None:
        self._task_id = task_id
        self._repository = repository
        self._stopping = stopping
        self._check_interval = check_interval
        self._next_check = time.monotonic() + check_interval
        self._cancelled = False

    def report_progress(self, fraction: float) -> None:
        self._repository.set_progress(self._task_id, fraction)

    def cancelled(self) -> bool:
        if self._cancelled or self._stopping():
            return True
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self._check_interval
            task = self._repository.get(self._task_id)
            self._cancelled = task is None or task.cancel_requested
        return self._cancelled


class ResultTooLarge(Exception):
    """A result outgrew the room its kind reserved for it: it is not kept, the task fails."""


def encode_result(output: object) -> TaskResult:
    """Store JSON results as JSON bytes, so serving a result never re-serializes it."""
    if isinstance(output, TaskResult):
        return output
    data = json.dumps(output, separators=(",", ":"), allow_nan=False).encode()
    return TaskResult(data, "application/json")


def run_task(
    task_id: uuid.UUID,
    *,
    repository: TaskRepository,
    stopping: Callable[[], bool] = lambda: False,
) -> Task | None:
    """Start the task if it is still queued, run it, record success, failure or cancellation."""
    task = repository.transition(task_id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=utcnow())
    if task is None:
        return None  # cancelled or deleted before it started, or another executor took it
    context = RepositoryContext(task_id, repository, stopping)
    try:
        params = {**task.params, **task.inputs}
        result = encode_result(get_kind(task.kind).handler(context, params))
        if task.reserved_bytes and len(result.data) > task.reserved_bytes:  # a kind's bound was wrong
            raise ResultTooLarge(f"{len(result.data):,} bytes, over the {task.reserved_bytes:,} reserved for it")
    except TaskCancelled:
        if stopping():
            return _finish(repository, task_id, TaskStatus.FAILED, error=SHUTDOWN_WHILE_RUNNING)
        return _finish(repository, task_id, TaskStatus.CANCELLED)
    except Exception as exc:
        logger.exception("task %s (%s) failed", task_id, task.kind)
        return _finish(repository, task_id, TaskStatus.FAILED, error=describe_failure(exc))
    return _finish(repository, task_id, TaskStatus.SUCCEEDED, result=result)


def fail_unfinished(task_id: uuid.UUID, reason: str, *, repository: TaskRepository) -> None:
    """Mark a task the executor must give up on as failed, whether it started or not."""
    for state in (TaskStatus.QUEUED, TaskStatus.RUNNING):
        if _finish(repository, task_id, TaskStatus.FAILED, error=reason, expected=state):
            return


def describe_failure(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text[:MAX_ERROR_CHARS]


def _finish(
    repository: TaskRepository,
    task_id: uuid.UUID,
    target: TaskStatus,
    *,
    error: str | None = None,
    result: TaskResult | None = None,
    expected: TaskStatus = TaskStatus.RUNNING,
) -> Task | None:
    task = repository.transition(task_id, expected=expected, target=target, at=utcnow(), error=error, result=result)
    if task is not None:
        task_finished.send(sender=Task, task=task)
    return task
