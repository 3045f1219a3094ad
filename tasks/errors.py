"""Domain errors raised by the service layer. One DRF exception handler maps them to HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tasks.domain import Task


class TaskServiceError(Exception):
    """Base of every error a use case may raise on purpose."""


class TaskNotFound(TaskServiceError):
    def __init__(self, task_id: uuid.UUID | str) -> None:
        super().__init__(f"No task with id {task_id}.")


class InvalidTaskId(TaskServiceError):
    def __init__(self, raw: str) -> None:
        super().__init__(f"{raw!r} is not a task id: task ids are UUIDs.")


class ResultUnavailable(TaskServiceError):
    """The task exists but has no result to fetch: still running, failed or cancelled."""

    def __init__(self, task: Task) -> None:
        self.task = task
        reasons = {
            "in_progress": "The task is still in progress; poll its status and try again.",
            "failed": f"The task failed: {task.error}",
            "cancelled": "The task was cancelled; it has no result.",
        }
        super().__init__(reasons[task.status.public])


class TaskAlreadyFinished(TaskServiceError):
    def __init__(self, task: Task) -> None:
        self.task = task
        super().__init__(f"The task is already {task.status.public}; there is nothing to cancel.")


class UnknownKind(TaskServiceError):
    def __init__(self, kind: str, known: list[str]) -> None:
        super().__init__(f"Unknown task kind {kind!r}; known kinds: {', '.join(known)}.")


class InvalidParams(TaskServiceError):
    """The params do not fit the kind; `errors` maps field paths to messages."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        self.errors = errors
        super().__init__("The task parameters are invalid.")


class InputTooLarge(TaskServiceError):
    """One input (e.g. the image) is over its byte limit; answered as 413 naming the field."""

    def __init__(self, field: str, limit: int) -> None:
        self.field = field
        super().__init__(f"{field} is larger than {limit:,} bytes.")


class KindUnavailable(TaskServiceError):
    """This host cannot run the kind safely right now (e.g. no sandbox); answered as 503."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind} tasks cannot run on this host: {reason}")


class CapacityExhausted(TaskServiceError):
    """The service cannot take more work right now; the client should retry later."""


class StoreFull(CapacityExhausted):
    def __init__(self, limit: int, *, max_bytes: int | None = None) -> None:
        held = f"{max_bytes:,} bytes of inputs and results" if max_bytes is not None else f"{limit} tasks"
        super().__init__(f"The task store is full ({held}); retry later.")


class QueueFull(CapacityExhausted):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The execution queue is full ({limit} tasks waiting); retry later.")


class BrokerUnavailable(CapacityExhausted):
    def __init__(self, reason: str) -> None:
        super().__init__(f"The task queue (broker) cannot be reached; nothing was accepted. Retry later. ({reason})")


class DispatcherStopped(CapacityExhausted):
    def __init__(self) -> None:
        super().__init__("The service is shutting down and takes no new tasks.")


class DependencyUnavailable(TaskServiceError):
    """A component the service needs (store, executor) does not answer."""

    def __init__(self, failures: Mapping[str, str]) -> None:
        self.failures = dict(failures)
        names = ", ".join(f"{name} ({reason})" for name, reason in failures.items())
        super().__init__(f"Not ready: {names}.")


class InvalidCursor(TaskServiceError):
    def __init__(self, cursor: str) -> None:
        super().__init__(f"{cursor[:64]!r} is not a cursor this service issued.")


class QuotaExceeded(TaskServiceError):
    """The caller used up one of their quotas; answered as 429 with Retry-After.

    `retry_after` is None when nobody can know (a task in progress finishes when it finishes).
    """

    def __init__(self, quota: str, *, limit: int, used: int, retry_after: int | None, detail: str) -> None:
        self.quota = quota
        self.limit = limit
        self.used = used
        self.retry_after = retry_after
        super().__init__(detail)


class TooManyInProgress(QuotaExceeded):
    def __init__(self, limit: int) -> None:
        super().__init__(
            "in_progress",
            limit=limit,
            used=limit,
            retry_after=None,
            detail=f"You have {limit} task{'s' if limit != 1 else ''} in progress, your limit; "
            "wait for one to finish (or cancel one).",
        )


class StorageQuotaExceeded(QuotaExceeded):
    """The owner's inputs and results already fill their share of the store (so no one caller
    can fill it for everyone); deleting finished tasks, or their expiry, frees it."""

    def __init__(self, limit: int, used: int) -> None:
        super().__init__(
            "storage",
            limit=limit,
            used=used,
            retry_after=None,
            detail=f"Your tasks hold {used:,} bytes of inputs and results; your limit is {limit:,}. "
            "Delete finished tasks (DELETE /tasks/{id}) or wait for them to expire.",
        )


class TooManySubmissions(QuotaExceeded):
    def __init__(self, limit: int, window_seconds: int, retry_after: int) -> None:
        super().__init__(
            "submissions",
            limit=limit,
            used=limit,
            retry_after=retry_after,
            detail=f"You made all {limit} submissions your quota allows per {window_seconds} s; "
            f"retry in {retry_after} s.",
        )
