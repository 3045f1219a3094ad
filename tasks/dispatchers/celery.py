"""Execution on Celery workers (TASK_EXECUTOR=celery): the web tier only enqueues."""

from __future__ import annotations

import logging
import uuid
import zlib

from django.conf import settings
from kombu.exceptions import OperationalError

from tasks.errors import BrokerUnavailable
from taskservice.celery import app

# The job that runs a task (tasks/jobs.py), sent by name: the web tier need not import the jobs.
logger = logging.getLogger(__name__)

EXECUTE = "tasks.jobs.execute"
DELIVER_CALLBACK = "tasks.jobs.deliver_callback"


def lane(owner: str | None) -> str:
    """The queue an owner's tasks go to: the same for every web process (crc32, not hash())."""
    return f"{settings.TASK_LANE_PREFIX}{zlib.crc32((owner or '').encode()) % settings.TASK_FAIR_LANES}"


def send_callback(task_id: uuid.UUID) -> None:
    """A webhook to deliver, for any worker (on the jobs' queue, beside no task lane); a broker
    that is down is only logged: the overdue sweep sends it again."""
    try:
        app.send_task(DELIVER_CALLBACK, args=[str(task_id)], queue=settings.CELERY_TASK_DEFAULT_QUEUE, retry=False)
    except OperationalError as exc:
        logger.warning("task %s: webhook not handed over (%s); the overdue sweep will", task_id, exc)


class CeleryDispatcher:
    """Owners are spread over TASK_FAIR_LANES queues; workers consume them all, and the broker
    transport serves them round-robin, so one owner's backlog holds up only its own lane."""

    durable = True

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        try:
            app.send_task(EXECUTE, args=[str(task_id)], queue=lane(owner), retry=False)
        except OperationalError as exc:
            raise BrokerUnavailable(str(exc)) from None

    def shutdown(self) -> None:
        """Nothing to settle: queued tasks wait in the broker for any worker."""

    def check(self) -> None:
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise RuntimeError(f"broker {app.conf.broker_url} unreachable: {exc}") from None
