"""The Celery app: the executor service is `celery -A taskservice worker` (and `beat`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskservice.settings")

app = Celery("taskservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["tasks"], related_name="jobs")
