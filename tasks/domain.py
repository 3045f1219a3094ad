"""Tasks and their lifecycle rules. Pure Python: no Django, no storage."""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


class TaskStatus(enum.StrEnum):
    """Internal lifecycle states; clients see them through `PublicStatus`."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def public(self) -> PublicStatus:
        return _PUBLIC[self]


class PublicStatus(enum.StrEnum):
    """The seed API's vocabulary: `in_progress` until the result can be fetched, then `ready`."""

    IN_PROGRESS = "in_progress"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def internal(self) -> tuple[TaskStatus, ...]:
        return tuple(s for s, p in _PUBLIC.items() if p is self)


_TERMINAL = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED})
_PUBLIC = {
    TaskStatus.QUEUED: PublicStatus.IN_PROGRESS,
    TaskStatus.RUNNING: PublicStatus.IN_PROGRESS,
    TaskStatus.SUCCEEDED: PublicStatus.READY,
    TaskStatus.FAILED: PublicStatus.FAILED,
    TaskStatus.CANCELLED: PublicStatus.CANCELLED,
}

# Which transitions are legal. Anything not listed (e.g. leaving a terminal state) is refused.
TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.QUEUED: frozenset({TaskStatus.RUNNING, TaskStatus.CANCELLED, TaskStatus.FAILED}),
    # running -> queued: the worker running it was lost, and the task will be run again.
    TaskStatus.RUNNING: frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.QUEUED}),
    TaskStatus.SUCCEEDED: frozenset(),
    TaskStatus.FAILED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


class IllegalTransition(ValueError):
    """A repository was asked to move a task along an edge the lifecycle does not have."""


@dataclass(frozen=True, slots=True)
class ResultInfo:
    """What the status endpoint tells about a result without loading it."""

    content_type: str
    size: int
    filename: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TaskResult:
    """A finished task's output, already encoded: JSON results are stored as JSON bytes."""

    data: bytes
    content_type: str
    filename: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def info(self) -> ResultInfo:
        return ResultInfo(self.content_type, len(self.data), self.filename, self.meta)


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of rented compute. Immutable: every change makes a new value."""

    id: uuid.UUID
    kind: str
    params: Mapping[str, Any]
    created_at: datetime
    owner: str | None = None
    status: TaskStatus = TaskStatus.QUEUED
    progress: float = 0.0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    cancel_requested: bool = False
    result: ResultInfo | None = None
    attempts: int = 0
    heartbeat_at: datetime | None = None
    # When the queued task was handed to the executor; None until then (and again once it is
    # queued anew): a queued task without it is an orphan the redispatch job sends again.
    dispatched_at: datetime | None = None
    # Binary inputs (an uploaded image): stored apart from the JSON params, loaded only to run.
    inputs: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    # What the task holds in the store before it has a result: its params as JSON plus its inputs
    # (a program's source and stdin count, as an image does).
    input_bytes: int = 0
    # Room held for the result until the task ends: the kind's worst case for these params, so
    # a caller's results can never outgrow their share (nor the store) after the submit said yes.
    reserved_bytes: int = 0
    # Where the final status is POSTed (signed webhooks: tasks/callbacks.py), the attempts so far,
    # and when the next attempt is due (set by the finish itself, so no finish goes unannounced;
    # None once delivered or given up).
    callback_url: str | None = None
    callbacks: tuple[Mapping[str, Any], ...] = ()
    callback_due_at: datetime | None = None
    # The webhook's shape when it is not the service's own signed event (tasks.callbacks.STYLES:
    # "judge0", Judge0's PUT of the submission).
    callback_style: str | None = None

    @classmethod
    def new(
        cls,
        *,
        kind: str,
        params: Mapping[str, Any],
        owner: str | None = None,
        now: datetime,
        callback_url: str | None = None,
        callback_style: str | None = None,
        reserved_bytes: int = 0,
    ) -> Task:
        """A queued task; bytes values of `params` become `inputs`."""
        inputs = {name: value for name, value in params.items() if isinstance(value, bytes)}
        json_params = {name: value for name, value in params.items() if name not in inputs}
        size = len(json.dumps(json_params, ensure_ascii=False).encode()) + sum(map(len, inputs.values()))
        return cls(
            id=uuid.uuid4(),
            kind=kind,
            params=json_params,
            owner=owner,
            created_at=now,
            inputs=inputs,
            input_bytes=size,
            reserved_bytes=reserved_bytes,
            callback_url=callback_url,
            callback_style=callback_style,
        )

    @property
    def stored_bytes(self) -> int:
        """Inputs and params, plus the result once there is one, or the room reserved for it while
        the task may still produce one: what counts against storage quotas."""
        if self.result is not None:
            return self.input_bytes + self.result.size
        return self.input_bytes + (0 if self.status.terminal else self.reserved_bytes)

    def moved_to(
        self,
        target: TaskStatus,
        *,
        at: datetime,
        error: str | None = None,
        result: ResultInfo | None = None,
    ) -> Task:
        """The task after the transition to `target`; raises IllegalTransition if not allowed."""
        if target not in TRANSITIONS[self.status]:
            raise IllegalTransition(f"task {self.id}: {self.status} -> {target} is not allowed")
        changes: dict[str, Any] = {"status": target}
        if target is TaskStatus.RUNNING:
            changes |= {"started_at": at, "heartbeat_at": at, "attempts": self.attempts + 1}
        if target is TaskStatus.QUEUED:
            changes |= {"started_at": None, "heartbeat_at": None, "progress": 0.0, "dispatched_at": None}
        if target.terminal:
            changes["finished_at"] = at
            changes["error"] = error
            if self.callback_url is not None:
                changes["callback_due_at"] = at
        if target is TaskStatus.SUCCEEDED:
            changes["progress"] = 1.0
            changes["result"] = result
        return dataclasses.replace(self, **changes)

    def with_progress(self, progress: float) -> Task:
        return dataclasses.replace(self, progress=min(1.0, max(0.0, progress)))

    def with_cancel_requested(self) -> Task:
        return dataclasses.replace(self, cancel_requested=True)
