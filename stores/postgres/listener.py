"""The PostgreSQL store's ear for finishes: one connection per process that LISTENs on the
channel migration 0007's trigger notifies, and one thread that wakes this process's waiters.

Started by the first waiter, so processes that never wait (Celery workers) hold no connection.
Notifications sent while it is not listening (before the first LISTEN, during a reconnect) are
lost, so every time it starts listening it wakes every waiter to re-read its task.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable

import psycopg

from tasks.waiting import Finishes

logger = logging.getLogger(__name__)

CHANNEL = "task_finished"
# How often the thread looks up from the socket to see whether it should stop (no table is read).
STOP_CHECK_SECONDS = 0.25
RECONNECT_SECONDS = (0.1, 5.0)  # first and longest pause before connecting again


class FinishListener:
    def __init__(self, finishes: Finishes, connect: Callable[[], psycopg.Connection]) -> None:
        self._finishes = finishes
        self._connect = connect
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.listening = threading.Event()

    def ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._run, name="task-finish-listener", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=STOP_CHECK_SECONDS * 8)

    def _run(self) -> None:
        pause = RECONNECT_SECONDS[0]
        while not self._stopping.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self._finishes.announce_all()
                    pause = RECONNECT_SECONDS[0]
                    while not self._stopping.is_set():
                        for notify in connection.notifies(timeout=STOP_CHECK_SECONDS):
                            self._announce(notify.payload)
            except psycopg.Error as exc:
                logger.warning("finish listener: %s; connecting again in %.1f s", exc, pause)
            self.listening.clear()
            self._stopping.wait(pause)
            pause = min(pause * 2, RECONNECT_SECONDS[1])

    def _announce(self, payload: str) -> None:
        try:
            task_id = uuid.UUID(payload)
        except ValueError:
            return  # not ours: anyone may NOTIFY on a channel
        self._finishes.announce(task_id)
