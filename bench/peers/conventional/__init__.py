"""The yardstick bench/scale.py measures the service against: a minimal Django + DRF + Celery app
written the way the Celery ("First steps with Django") and django-celery-results docs show it.
A POST view calls `task.delay()` and returns the id; a GET view reads `AsyncResult(id).status`;
results live in PostgreSQL through django-celery-results; the broker is Redis. No auth, no
quotas, no crash recovery beyond Celery's defaults, no webhooks: what the service adds."""

from bench.peers.conventional.celery import app as celery_app

__all__ = ["celery_app"]
