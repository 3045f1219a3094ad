"""The one place that knows which repository and executor the settings chose.

Built lazily on first use, so each gunicorn worker makes its own after the fork. The executor is
the class TASK_EXECUTORS names for TASK_EXECUTOR, imported by that path: the executors depend on
this app, never the other way round.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.dispatch import receiver
from django.utils.module_loading import import_string

from core import stores
from tasks.domain import Task
from tasks.executor import Executor
from tasks.repositories.base import TaskRepository
from tasks.signals import task_finished

_lock = threading.Lock()
_repository: TaskRepository | None = None
_executor: Executor | None = None


def task_repository() -> TaskRepository:
    if _repository is None:
        _build()
    assert _repository is not None
    return _repository


def executor() -> Executor:
    if _executor is None:
        _build()
    assert _executor is not None
    return _executor


@receiver(task_finished)
def _announce_finish(sender: type, task: Task, **_: object) -> None:
    if task.callback_due_at is not None:
        executor().deliver_callback(task.id)


def shutdown() -> None:
    """Stop the executor (settling its tasks, its jobs and its webhook deliverers) and the
    store's waiters; the next use builds afresh."""
    global _repository, _executor
    with _lock:
        if _executor is not None:
            _executor.shutdown()
        if _repository is not None:
            _repository.close()
        _repository = _executor = None


def release_waiters() -> None:
    """Wake every waiting request to answer now and refuse new waits: the process is stopping."""
    if _repository is not None:
        _repository.close()


def _build() -> None:
    global _repository, _executor
    with _lock:
        if _repository is not None:
            return
        repository: TaskRepository = stores.chosen("tasks")
        _executor = import_string(settings.TASK_EXECUTORS[settings.TASK_EXECUTOR])(repository)
        _repository = repository
