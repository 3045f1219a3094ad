"""Domain errors raised by the service layer, each with its HTTP meaning (core.errors)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from core import errors as core_errors
from core.errors import NotFound, ServiceError, Unavailable, field_errors, summarize
from core.quotas import QuotaExceeded
from tasks.domain import Task


class TaskServiceError(ServiceError):
    """Base of every error a task use case may raise on purpose."""


class TaskNotFound(TaskServiceError, NotFound):
    slug = "task-not-found"
    title = "Task not found"

    def __init__(self, task_id: uuid.UUID | str) -> None:
        super().__init__(f"No task with id {task_id}.")


class InvalidTaskId(TaskServiceError, NotFound):
    slug = TaskNotFound.slug
    title = TaskNotFound.title

    def __init__(self, raw: str) -> None:
        super().__init__(f"{raw!r} is not a task id: task ids are UUIDs.")


class ResultUnavailable(TaskServiceError):
    """The task exists but has no result to fetch: still running, failed or cancelled."""

    status = 409
    slug = "result-unavailable"
    title = "No result"

    def __init__(self, task: Task) -> None:
        self.task = task
        reasons = {
            "in_progress": "The task is still in progress; poll its status and try again.",
            "failed": f"The task failed: {task.error}",
            "cancelled": "The task was cancelled; it has no result.",
        }
        super().__init__(reasons[task.status.public])

    def problem_extra(self) -> dict[str, Any]:
        return {"task_status": self.task.status.public.value}


class TaskAlreadyFinished(TaskServiceError):
    status = 409
    slug = "task-finished"
    title = "Task already finished"

    def __init__(self, task: Task) -> None:
        self.task = task
        super().__init__(f"The task is already {task.status.public}; there is nothing to cancel.")

    def problem_extra(self) -> dict[str, Any]:
        return {"task_status": self.task.status.public.value}


class UnknownKind(TaskServiceError):
    slug = "unknown-kind"
    title = "Unknown task kind"
    pointer = "#/kind"

    def __init__(self, kind: str, known: list[str]) -> None:
        super().__init__(f"Unknown task kind {kind!r}; known kinds: {', '.join(known)}.")


class InvalidParams(TaskServiceError):
    """The params do not fit the kind; `errors` maps field paths to messages."""

    slug = "invalid-params"
    title = "Invalid task parameters"

    def __init__(self, errors: Mapping[str, Any]) -> None:
        self.errors = errors
        super().__init__("The task parameters are invalid.")

    def problem_errors(self) -> list[dict[str, str]]:
        return field_errors(self.errors, "#/params")

    def problem_detail(self, errors: list[dict[str, str]]) -> str:
        return summarize(errors, str(self))


class InvalidBatch(TaskServiceError):
    """Some task of a batch (or the batch itself) is invalid: nothing was submitted; `errors`
    points at each problem as `#/<index>/...`."""

    slug = "invalid-batch"
    title = "Invalid batch"

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        super().__init__("The batch is invalid; nothing was submitted.")

    @classmethod
    def at(cls, index: int, exc: Exception) -> list[dict[str, str]]:
        """The errors of the task at `index` (a DRF ValidationError or a ServiceError), re-pointed."""
        prefix = f"#/{index}"
        if isinstance(exc, ServiceError):
            errors = exc.problem_errors() or [{"pointer": "#", "detail": str(exc)}]
            return [
                {"pointer": prefix + error["pointer"].removeprefix("#"), "detail": error["detail"]} for error in errors
            ]
        return field_errors(getattr(exc, "detail", str(exc)), prefix)

    def problem_errors(self) -> list[dict[str, str]]:
        return self.errors

    def problem_detail(self, errors: list[dict[str, str]]) -> str:
        return summarize(errors, str(self))


class InputTooLarge(TaskServiceError, core_errors.InputTooLarge):
    """One input (e.g. the image) is over its byte limit; answered as 413 naming the field."""

    prefix = "#/params/"


class KindUnavailable(TaskServiceError):
    """This host cannot run the kind safely right now (e.g. no sandbox): no point retrying soon."""

    status = 503
    slug = "kind-unavailable"
    title = "Task kind unavailable"

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind} tasks cannot run on this host: {reason}")


class CapacityExhausted(TaskServiceError, Unavailable):
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


class InvalidCursor(TaskServiceError):
    slug = "invalid-cursor"
    title = "Invalid cursor"
    pointer = "#/cursor"

    def __init__(self, cursor: str) -> None:
        super().__init__(f"{cursor[:64]!r} is not a cursor this service issued.")


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

    def __init__(self, limit: int, used: int, needed: int | None = None) -> None:
        asked = (
            f" This submission needs {needed:,} more: its inputs and room for the largest result it can "
            "produce (a code task: every run's output limit, so fewer tests or a lower output_kb need less)."
            if needed is not None
            else ""
        )
        super().__init__(
            "storage",
            limit=limit,
            used=used,
            retry_after=None,
            detail=f"Your tasks hold {used:,} bytes of inputs and results; your limit is {limit:,}.{asked} "
            "Delete finished tasks (DELETE /task/{id}) or wait for them to expire.",
        )


class TooManyWaiters(TaskServiceError):
    """Every wait this process allows (TASK_MAX_WAITERS, or the caller's TASK_MAX_WAITERS_PER_OWNER)
    is taken: a waiter holds a request thread, so past the bound the wait is refused, not queued."""

    status = 429
    slug = "too-many-waiters"
    title = "Too many waiters"

    def __init__(self, per_owner: int | None = None) -> None:
        if per_owner is not None:
            detail = f"You already wait for {per_owner} task{'s' if per_owner != 1 else ''} at once, your limit"
        else:
            detail = "The service holds as many waiting requests as it allows"
        super().__init__(f"{detail}; poll without `wait`, or retry in a second.")

    def problem_headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}


class InvalidCallbackUrl(TaskServiceError):
    slug = "invalid-callback-url"
    title = "Invalid callback URL"
    pointer = "#/callback_url"


class CallbacksNeedAKey(InvalidCallbackUrl):
    def __init__(self) -> None:
        super().__init__("Callbacks are signed with your webhook secret (GET /me): submit with an API key.")


class MetricsTokenRequired(TaskServiceError):
    status = 401
    slug = "metrics-token-required"
    title = "Metrics token required"

    def __init__(self) -> None:
        super().__init__(
            "GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>` (none is set on the server until an "
            "operator sets METRICS_TOKEN)."
        )

    def problem_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="metrics"'}
