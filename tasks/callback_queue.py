"""Where webhook attempts run: a few threads of their own in the executor's process (the
in-process executor's, or a Celery worker's), never a request thread or a task worker, so a slow
receiver holds up only other deliveries. Retries wait in a timer heap; the due time is in the
store too, so attempts lost with a process are found again (`callbacks.redeliver_overdue`)."""

from __future__ import annotations

import contextlib
import heapq
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from django import db

from accounts.webhooks import secret_for_owner
from tasks import callbacks
from tasks.repositories.base import TaskRepository

logger = logging.getLogger(__name__)


class CallbackQueue:
    def __init__(self, attempt: Callable[[uuid.UUID], float | None], *, workers: int) -> None:
        self._attempt = attempt
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="webhook")
        self._timers: list[tuple[float, uuid.UUID]] = []
        self._changed = threading.Condition()
        self._stopped = False
        self._clock = threading.Thread(target=self._release_due, name="webhook-timers", daemon=True)
        self._clock.start()

    def kick(self, task_id: uuid.UUID, delay: float = 0.0) -> None:
        """Attempt the task's delivery in `delay` seconds (at once by default)."""
        if delay <= 0:
            self._run_soon(task_id)
            return
        with self._changed:
            heapq.heappush(self._timers, (time.monotonic() + delay, task_id))
            self._changed.notify()

    def shutdown(self) -> None:
        """Stop: attempts under way finish; timers are dropped (their due times are in the store)."""
        with self._changed:
            self._stopped = True
            self._changed.notify()
        self._clock.join()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run_soon(self, task_id: uuid.UUID) -> None:
        with contextlib.suppress(RuntimeError):  # shut down meanwhile: the store still says it is due
            self._pool.submit(self._run, task_id)

    def _run(self, task_id: uuid.UUID) -> None:
        try:
            delay = self._attempt(task_id)
        except Exception:
            logger.exception("task %s: webhook attempt failed unexpectedly", task_id)
            return
        if delay is not None:
            self.kick(task_id, delay)

    def _release_due(self) -> None:
        with self._changed:
            while not self._stopped:
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    self._run_soon(heapq.heappop(self._timers)[1])
                self._changed.wait(self._timers[0][0] - now if self._timers else None)


def delivering_for(repository: TaskRepository, *, workers: int) -> CallbackQueue:
    """The deliverers of one executor's process: each attempt signs with the owner's secret and
    leaves no database connection open (these threads outlive it)."""
    deliverer = callbacks.Deliverer(repository, secret_for_owner)
    return CallbackQueue(partial(_attempt, deliverer), workers=workers)


def _attempt(deliverer: callbacks.Deliverer, task_id: uuid.UUID) -> float | None:
    try:
        return deliverer.attempt(task_id)
    finally:
        db.connections.close_all()
