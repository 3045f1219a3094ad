"""The one place that knows which repository and dispatcher the settings chose.

Built lazily on first use, so each gunicorn worker makes its own after the fork.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from django import db
from django.conf import settings
from django.dispatch import receiver

from core import stores
from tasks import callbacks, execution
from tasks.callback_queue import CallbackQueue
from tasks.dispatchers.base import Dispatcher
from tasks.domain import Task, utcnow
from tasks.repositories.base import TaskRepository
from tasks.signals import task_finished
from tasks.sweeper import PeriodicSweeper
from taskservice import malloc

_lock = threading.Lock()
_repository: TaskRepository | None = None
_dispatcher: Dispatcher | None = None
_sweeper: PeriodicSweeper | None = None
_callbacks: CallbackQueue | None = None
_redeliverer: PeriodicSweeper | None = None


def task_repository() -> TaskRepository:
    if _repository is None:
        _build()
    assert _repository is not None
    return _repository


def dispatcher() -> Dispatcher:
    if _dispatcher is None:
        _build()
    assert _dispatcher is not None
    return _dispatcher


def callback_queue() -> CallbackQueue:
    """This process's webhook deliverers (built on first use: only executors deliver)."""
    global _callbacks
    if _callbacks is None:
        repository = task_repository()
        with _lock:
            if _callbacks is None:
                deliverer = callbacks.Deliverer(repository, _webhook_secret)
                _callbacks = CallbackQueue(partial(_attempt, deliverer), workers=settings.WEBHOOK_WORKERS)
    return _callbacks


def deliver_callback(task_id: uuid.UUID) -> None:
    """Have the task's webhook delivered by an executor: a Celery worker (through the broker) or
    this process's deliverers; if the hand-off fails, the overdue sweep hands it over again."""
    if settings.TASK_EXECUTOR == "celery":
        from tasks.dispatchers.celery import send_callback

        send_callback(task_id)
    else:
        callback_queue().kick(task_id)


@receiver(task_finished)
def _announce_finish(sender: type, task: Task, **_: object) -> None:
    if task.callback_due_at is not None:
        deliver_callback(task.id)


def _attempt(deliverer: callbacks.Deliverer, task_id: uuid.UUID) -> float | None:
    try:
        return deliverer.attempt(task_id)
    finally:
        db.connections.close_all()  # webhook threads outlive this attempt: hold no connection idle


def _redeliver(repository: TaskRepository) -> int:
    try:
        return callbacks.redeliver_overdue(repository, deliver_callback)
    finally:
        db.connections.close_all()  # the sweeper's thread is not a request: nothing left open


def _webhook_secret(owner: str) -> str | None:
    from accounts.webhooks import secret_for_owner

    return secret_for_owner(owner)


def shutdown() -> None:
    """Stop the executor (settling its tasks), the sweepers, the webhook deliverers and the
    store's waiters; the next use builds afresh."""
    global _repository, _dispatcher, _sweeper, _callbacks, _redeliverer
    with _lock:
        if _dispatcher is not None:
            _dispatcher.shutdown()
        for sweeper in (_sweeper, _redeliverer):
            if sweeper is not None:
                sweeper.stop()
        if _callbacks is not None:
            _callbacks.shutdown()
        if _repository is not None:
            _repository.close()
        _repository = _dispatcher = _sweeper = _callbacks = _redeliverer = None


def release_waiters() -> None:
    """Wake every waiting request to answer now and refuse new waits: the process is stopping."""
    if _repository is not None:
        _repository.close()


def purge_expired(repository: TaskRepository) -> int:
    return repository.purge_finished(before=utcnow() - timedelta(seconds=settings.TASK_TTL_SECONDS))


def _purge_in_process(repository: TaskRepository) -> int:
    """The in-memory store's sweep: expired tasks (and deleted records) are freed to malloc, which
    keeps the pages; trimming returns them, so memory follows what the stores hold."""
    purged = purge_expired(repository)
    malloc.trim()
    return purged


def _build() -> None:
    global _repository, _dispatcher, _sweeper, _redeliverer
    with _lock:
        if _repository is not None:
            return
        repository = _build_repository()
        _dispatcher = _build_dispatcher(repository)
        if settings.TASK_STORE == "memory":  # a database store is swept by the scheduled job instead
            _sweeper = PeriodicSweeper(partial(_purge_in_process, repository), interval=settings.TASK_SWEEP_SECONDS)
        elif settings.TASK_EXECUTOR == "threads":  # no beat: this process finds overdue webhooks itself
            _redeliverer = PeriodicSweeper(partial(_redeliver, repository), interval=settings.TASK_REAP_SECONDS)
        _repository = repository


def _build_repository() -> TaskRepository:
    return stores.chosen(memory=_memory_repository, postgres=_postgres_repository)


def _memory_repository() -> TaskRepository:
    from tasks.repositories.memory import InMemoryTaskRepository

    return InMemoryTaskRepository(
        max_tasks=settings.TASK_MAX_STORED, max_bytes=settings.TASK_MAX_STORED_BYTES, on_large_delete=malloc.trim
    )


def _postgres_repository() -> TaskRepository:
    from tasks.repositories.postgres import PostgresTaskRepository

    return PostgresTaskRepository()


def _run_in_thread(repository: TaskRepository, task_id: uuid.UUID, stopping: Callable[[], bool]) -> None:
    try:
        execution.run_task(task_id, repository=repository, stopping=stopping)
    finally:
        db.close_old_connections()  # executor threads are not requests: tidy as a request would


def _build_dispatcher(repository: TaskRepository) -> Dispatcher:
    if settings.TASK_EXECUTOR == "celery":
        from tasks.dispatchers.celery import CeleryDispatcher

        return CeleryDispatcher()
    from tasks.dispatchers.threads import ThreadPoolDispatcher

    return ThreadPoolDispatcher(
        run=partial(_run_in_thread, repository),
        abandon=lambda task_id, reason: execution.fail_unfinished(task_id, reason, repository=repository),
        workers=settings.TASK_WORKERS,
        queue_size=settings.TASK_QUEUE_SIZE,
        grace_seconds=settings.TASK_SHUTDOWN_GRACE_SECONDS,
        queued_reason=execution.SHUTDOWN_WHILE_QUEUED,
        running_reason=execution.SHUTDOWN_WHILE_RUNNING,
        on_thread_exit=db.connections.close_all,
    )
