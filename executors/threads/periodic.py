"""The threads executor's periodic jobs: a timer thread each (there is no beat in one process)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class PeriodicJob:
    """Calls `job()` every `interval` seconds on a daemon thread until stopped; what it returns
    is how many things it handled, logged when not zero."""

    def __init__(self, job: Callable[[], int], *, name: str, interval: float) -> None:
        self._job = job
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                handled = self._job()
            except Exception:
                logger.exception("periodic job %s failed", self._thread.name)
            else:
                if handled:
                    logger.info("%s: %d handled", self._thread.name, handled)
