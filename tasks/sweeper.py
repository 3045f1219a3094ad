"""Periodic expiry of finished tasks for stores that live in this process."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class PeriodicSweeper:
    """Calls `sweep()` every `interval` seconds on a daemon thread until stopped."""

    def __init__(self, sweep: Callable[[], int], *, interval: float) -> None:
        self._sweep = sweep
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="task-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                purged = self._sweep()
            except Exception:
                logger.exception("task expiry sweep failed")
            else:
                if purged:
                    logger.info("expired %d finished task(s)", purged)
