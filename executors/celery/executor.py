"""TASK_EXECUTOR=celery: the web tier only enqueues; Celery workers run the tasks and deliver the
webhooks (executors/celery/jobs.py), and beat runs the periodic jobs (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging
import uuid
import zlib

from celery import current_app
from django.conf import settings
from kombu.exceptions import OperationalError

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
    transport serves them round-robin, so one owner's backlog holds up only its own lane."""

    durable = True

    def __init__(self, repository: TaskRepository) -> None:
        """The store is the workers' to use: this side only sends messages."""

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        try:
            current_app.send_task(EXECUTE, args=[str(task_id)], queue=lane(owner), retry=False)
        except OperationalError as exc:
            raise BrokerUnavailable(str(exc)) from None

    def deliver_callback(self, task_id: uuid.UUID) -> None:
        """For any worker, on the jobs' queue (beside no task lane)."""
        try:
            current_app.send_task(
                DELIVER_CALLBACK, args=[str(task_id)], queue=settings.CELERY_TASK_DEFAULT_QUEUE, retry=False
            )
        except OperationalError as exc:
            logger.warning("task %s: webhook not handed over (%s); the overdue sweep will", task_id, exc)

    def shutdown(self) -> None:
        """Nothing to settle: queued tasks wait in the broker for any worker."""

    def check(self) -> None:
        try:
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise RuntimeError(f"broker {current_app.conf.broker_url} unreachable: {exc}") from None
