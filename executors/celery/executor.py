"""TASK_EXECUTOR=celery: the web tier only enqueues; Celery workers run the tasks and deliver the
webhooks (executors/celery/jobs.py), and beat runs the periodic jobs (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
import uuid
import zlib

from celery import current_app
from django.conf import settings
from kombu.exceptions import OperationalError

from executors.celery.ledger import HandOffs
from tasks.errors import BrokerUnavailable
from tasks.repositories.base import TaskRepository

logger = logging.getLogger(__name__)

# The jobs are sent by name, so the web tier need not import them. The names are what is in the
# broker's queues: they stay the same when the code moves (a rolling upgrade drains old messages).
EXECUTE = "tasks.jobs.execute"
DELIVER_CALLBACK = "tasks.jobs.deliver_callback"


def lane(owner: str | None) -> str:
    """The queue an owner's tasks go to: the same for every web process (crc32, not hash())."""
    return f"{settings.TASK_LANE_PREFIX}{zlib.crc32((owner or '').encode()) % settings.TASK_FAIR_LANES}"


class CeleryExecutor:
    """Owners are spread over TASK_FAIR_LANES queues; workers consume them all, and the broker
    transport serves them round-robin, so one owner's backlog holds up only its own lane.

    A message outlives this process, so each one sent is recorded in the store (in bulk, a
    moment later: executors/celery/ledger.py); a queued task without that record is sent again
    by `redispatch_orphans`."""

    def __init__(self, repository: TaskRepository) -> None:
        self._hand_offs = HandOffs(repository.mark_dispatched, every=settings.TASK_HAND_OFF_RECORD_SECONDS)

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        try:
            current_app.send_task(EXECUTE, args=[str(task_id)], queue=lane(owner), retry=False)
        except OperationalError as exc:
            raise BrokerUnavailable(str(exc)) from None
        self._hand_offs.add(task_id)

    def deliver_callback(self, task_id: uuid.UUID) -> None:
        """For any worker, on the jobs' queue (beside no task lane)."""
        try:
            current_app.send_task(
                DELIVER_CALLBACK, args=[str(task_id)], queue=settings.CELERY_TASK_DEFAULT_QUEUE, retry=False
            )
        except OperationalError as exc:
            logger.warning("task %s: webhook not handed over (%s); the overdue sweep will", task_id, exc)

    def shutdown(self) -> None:
        """Queued tasks wait in the broker for any worker; only the last hand-offs are recorded."""
        self._hand_offs.close()

    def check(self) -> None:
        try:
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise RuntimeError(f"broker {current_app.conf.broker_url} unreachable: {exc}") from None
