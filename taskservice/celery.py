"""The Celery app: the executor service is `celery -A taskservice worker` (and `beat`)."""

import os

from celery import Celery
from celery.signals import task_prerun, worker_init

from core import malloc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskservice.settings")

app = Celery("taskservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["executors.celery", "idempotency"], related_name="jobs")


@worker_init.connect
def _tune_malloc(**_: object) -> None:
    """Image steps free megabytes all day in workers too; before the pool forks."""
    malloc.tune()


@task_prerun.connect
def _check_connections(**_: object) -> None:
    """What Django does at a request's start: drop connections past CONN_MAX_AGE or broken (a
    database restart); the next query health-checks the one it reuses (CONN_HEALTH_CHECKS)."""
    from django.db import close_old_connections

    close_old_connections()
