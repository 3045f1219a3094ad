"""Helpers shared by the tests: polling with a deadline (never a bare sleep) and factories."""

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from core.identity import Caller
from tasks.domain import Task

T = TypeVar("T")

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def wait_for(probe: Callable[[], T], *, timeout: float = 10.0, interval: float = 0.02, what: str = "condition") -> T:
    """Call `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {value!r})")
        time.sleep(interval)


def make_task(*, seconds_after_epoch: float = 0, owner: str | None = None, kind: str = "sleep", **params: Any) -> Task:
    return Task(
        id=uuid.uuid4(),
        kind=kind,
        params=params or {"seconds": 0.0, "size": 4},
        owner=owner,
        created_at=EPOCH + timedelta(seconds=seconds_after_epoch),
    )


class FakeContext:
    """A handler's context that records progress and reports cancellation after N reports."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.progress: list[float] = []
        self.cancel_after = cancel_after

    def report_progress(self, fraction: float) -> None:
        self.progress.append(fraction)

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.progress) >= self.cancel_after


# The database store in tests parametrized over every store: committed transactions, since the
# code under test uses several connections (executor threads, concurrent adds).
POSTGRES = pytest.param("postgres", marks=pytest.mark.django_db(transaction=True))


class RecordingExecutor:
    """An executor that only remembers what it was given (the test runs tasks itself)."""

    def __init__(self, *, fail_with: Exception | None = None) -> None:
        self.submitted: list[uuid.UUID] = []
        self.callbacks: list[uuid.UUID] = []
        self.fail_with = fail_with

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.submitted.append(task_id)

    def deliver_callback(self, task_id: uuid.UUID) -> None:
        self.callbacks.append(task_id)

    def shutdown(self) -> None:
        pass

    def check(self) -> None:
        pass


PROBLEM = "application/problem+json"


def assert_problem(response, status, slug=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("urn:taskservice:problem:")
    if slug:
        assert body["type"].endswith(":" + slug), body
    return body


def make_caller(
    owner: str, *, anonymous: bool = False, max_in_progress: int = 100, **ceilings: dict[str, float]
) -> Caller:
    """A caller with roomy quotas unless told otherwise (`image={"max_steps": 2}`)."""
    roomy = {
        "code": {"max_time_s": 10.0, "max_memory_mb": 1024, "max_task_s": 60.0},
        "image": {"max_pixels": 10**8, "max_steps": 20, "max_time_s": 1000.0, "max_memory_mb": 100_000},
    }
    limits = {kind: {**values, **ceilings.get(kind, {})} for kind, values in roomy.items()}
    return Caller(owner, anonymous, max_in_progress, 1000, limits)


def thread(target: Callable[[], Any]) -> threading.Thread:
    """A thread for a test's concurrent request: it closes its database connections at the end
    (a thread's own are otherwise left open until garbage collection, and PostgreSQL runs out)."""
    from django.db import connections

    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

    return threading.Thread(target=run)
