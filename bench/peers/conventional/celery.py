"""Celery's own Django recipe: configuration from the settings' CELERY_* names, tasks autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.peers.conventional.settings")

app = Celery("conventional")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
