"""Execution on Celery workers (TASK_EXECUTOR=celery): the web tier only enqueues."""

from __future__ import annotations

import uuid

from kombu.exceptions import OperationalError

from tasks.errors import BrokerUnavailable
from taskservice.celery import app


class CeleryDispatcher:
    def submit(self, task_id: uuid.UUID) -> None:
        from tasks.jobs import execute

        try:
            execute.apply_async(args=[str(task_id)], retry=False)
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
