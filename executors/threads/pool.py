"""A bounded fair queue and a fixed pool of threads that run the tasks handed over."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable

from executors.threads.fair import FairQueue
from tasks.errors import DispatcherStopped, QueueFull

logger = logging.getLogger(__name__)

RunTask = Callable[[uuid.UUID, Callable[[], bool]], object]
AbandonTask = Callable[[uuid.UUID, str], object]


class ThreadPool:
    """Runs `run(task_id, stopping)` on `workers` threads; at most `queue_size` tasks wait, and
    owners take turns (FairQueue)."""

    def __init__(
        self,
        *,
        run: RunTask,
        abandon: AbandonTask,
        workers: int,
        queue_size: int,
        grace_seconds: float,
        queued_reason: str,
        running_reason: str,
        on_thread_exit: Callable[[], object] = lambda: None,
    ) -> None:
        self._on_thread_exit = on_thread_exit
        self._run = run
        self._abandon = abandon
        self._grace_seconds = grace_seconds
        self._queued_reason = queued_reason
        self._running_reason = running_reason
        self._queue = FairQueue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._running: set[uuid.UUID] = set()
        self._threads = [
            threading.Thread(target=self._work, name=f"task-worker-{n}", daemon=True) for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        with self._lock:
            if self._stopping.is_set():
                raise DispatcherStopped
            try:
                self._queue.put_nowait(task_id, owner)
            except queue.Full:
                raise QueueFull(self._queue.maxsize) from None

    def shutdown(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            self._abandon(item, self._queued_reason)
        self._queue.close()
        deadline = time.monotonic() + self._grace_seconds
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            stuck = list(self._running)
        for task_id in stuck:
            self._abandon(task_id, self._running_reason)
        logger.info("task threads stopped; %d running task(s) abandoned", len(stuck))

    def check(self) -> None:
        if self._stopping.is_set():
            raise RuntimeError("shutting down")
        dead = [thread.name for thread in self._threads if not thread.is_alive()]
        if dead:
            raise RuntimeError(f"worker threads died: {', '.join(dead)}")

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                self._on_thread_exit()
                return
            with self._lock:
                self._running.add(item)
            try:
                self._run(item, self._stopping.is_set)
            except Exception:
                logger.exception("executor error on task %s", item)
            finally:
                with self._lock:
                    self._running.discard(item)
