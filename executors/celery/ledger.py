"""What the Celery path writes about tasks in bulk, off the request and off the job: hand-offs
(so a task whose message never left is sent again) and heartbeats (so a lost worker is noticed).

Written one task at a time they cost a round trip per submit and a thread per job; here one
thread per process writes each kind in one statement for every task it concerns. Neither record
is on the path of a guarantee's first line: a hand-off not yet recorded when its process dies is
sent again by the orphan sweep (and runs once: the claim is a compare-and-set), and a heartbeat
only has to come more often than TASK_LOST_AFTER_SECONDS.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Collection
from datetime import datetime

from django.db import close_old_connections

from tasks.domain import utcnow

logger = logging.getLogger(__name__)

Write = Callable[[Collection[uuid.UUID], datetime], None]


class _Ticker:
    """A daemon thread calling `tick` every `every` seconds, started on first use (after a fork),
    stopped by `close`, which ticks a last time on the caller's thread. A failed tick is logged;
    the thread's connection is checked anew after each (Django's rule outside requests)."""

    def __init__(self, name: str, every: float) -> None:
        self._name = name
        self._every = every
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _start(self) -> None:
        """Called under `_lock`."""
        if self._thread is None and not self._stop.is_set():
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._safely()
            close_old_connections()  # this thread's own, which no request's end looks after

    def _safely(self) -> None:
        try:
            self.tick()
        except Exception:
            logger.exception("%s: a write failed; the next one tries again", self._name)

    def tick(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
        self._safely()


class HandOffs(_Ticker):
    """Task ids handed to the broker, recorded at most `every` seconds later in one statement
    (the store skips those already claimed: most are, by then)."""

    def __init__(self, write: Write, *, every: float) -> None:
        super().__init__("hand-offs", every)
        self._write = write
        self._pending: list[uuid.UUID] = []

    def add(self, task_id: uuid.UUID) -> None:
        with self._lock:
            self._pending.append(task_id)
            self._start()

    def tick(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self._write(batch, utcnow())


class Heartbeats(_Ticker):
    """The tasks this process runs, all beaten in one statement every `every` seconds."""

    def __init__(self, write: Write, *, every: float) -> None:
        super().__init__("heartbeats", every)
        self._write = write
        self._running: set[uuid.UUID] = set()

    def add(self, task_id: uuid.UUID) -> None:
        with self._lock:
            self._running.add(task_id)
            self._start()

    def discard(self, task_id: uuid.UUID) -> None:
        with self._lock:
            self._running.discard(task_id)

    def tick(self) -> None:
        with self._lock:
            running = list(self._running)
        if running:
            self._write(running, utcnow())
