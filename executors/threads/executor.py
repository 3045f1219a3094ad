"""TASK_EXECUTOR=threads: tasks run on a pool of threads in the web process, webhooks are
delivered by a few threads beside them, and periodic jobs run on timers here (no beat)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from functools import partial

from django import db
from django.conf import settings

from core import malloc
from executors.threads.periodic import PeriodicJob
from executors.threads.pool import ThreadPool
from tasks import callbacks, execution, services
from tasks.callback_queue import CallbackQueue, delivering_for
from tasks.repositories.base import TaskRepository


class ThreadsExecutor:
    def __init__(self, repository: TaskRepository) -> None:
        self._repository = repository
        self._lock = threading.Lock()
        self._webhooks: CallbackQueue | None = None
        self._pool = ThreadPool(
            run=partial(_run, repository),
            abandon=lambda task_id, reason: execution.fail_unfinished(task_id, reason, repository=repository),
            workers=settings.TASK_WORKERS,
            queue_size=settings.TASK_QUEUE_SIZE,
            grace_seconds=settings.TASK_SHUTDOWN_GRACE_SECONDS,
            queued_reason=execution.SHUTDOWN_WHILE_QUEUED,
            running_reason=execution.SHUTDOWN_WHILE_RUNNING,
            on_thread_exit=db.connections.close_all,
        )
        # Tasks in this process's memory expire here; with a shared store the scheduled purge
        # does that, and this process finds the webhooks it owes that are overdue.
        if repository.in_process:
            self._periodic = PeriodicJob(
                partial(purge_in_process, repository), name="expire-tasks", interval=settings.TASK_SWEEP_SECONDS
            )
        else:
            self._periodic = PeriodicJob(
                self._redeliver, name="redeliver-webhooks", interval=settings.TASK_REAP_SECONDS
            )

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        self._pool.submit(task_id, owner=owner)

    def deliver_callback(self, task_id: uuid.UUID) -> None:
        self._deliverers().kick(task_id)

    def check(self) -> None:
        self._pool.check()

    def shutdown(self) -> None:
        self._pool.shutdown()  # abandoned tasks still announce their webhooks: deliverers last
        self._periodic.stop()
        with self._lock:
            if self._webhooks is not None:
                self._webhooks.shutdown()

    def _deliverers(self) -> CallbackQueue:
        """Built on the first webhook: most processes never send one."""
        with self._lock:
            if self._webhooks is None:
                self._webhooks = delivering_for(self._repository, workers=settings.WEBHOOK_WORKERS)
            return self._webhooks

    def _redeliver(self) -> int:
        try:
            return callbacks.redeliver_overdue(self._repository, self.deliver_callback)
        finally:
            db.connections.close_all()  # the job's thread is not a request: nothing left open


def purge_in_process(repository: TaskRepository) -> int:
    """Expired tasks (and deleted records) are freed to malloc, which keeps the pages; trimming
    returns them, so memory follows what the stores hold."""
    purged = services.purge_expired(repository)
    malloc.trim()
    return purged


def _run(repository: TaskRepository, task_id: uuid.UUID, stopping: Callable[[], bool]) -> None:
    try:
        execution.run_task(task_id, repository=repository, stopping=stopping)
    finally:
        db.close_old_connections()  # executor threads are not requests: tidy as a request would
