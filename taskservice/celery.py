"""The Celery app: the executor service is `celery -A taskservice worker` (and `beat`)."""

import os

from celery import Celery
from celery.signals import worker_init

from taskservice import malloc

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskservice.settings")

app = Celery("taskservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tasks"], related_name="jobs")


@worker_init.connect
def _tune_malloc(**_: object) -> None:
    """Image steps free megabytes all day in workers too; before the pool forks."""
    malloc.tune()
