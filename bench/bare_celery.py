"""The baseline bench/scale.py measures the service's Celery path against: a bare Celery app, a
no-op task, Redis broker and result backend, `acks_late`, prefetch 1 (the service's settings).

Run by bench/scale.py as `celery -A bench.bare_celery worker`; BARE_CELERY_URL picks the Redis db.
"""

import os

from celery import Celery

URL = os.environ.get("BARE_CELERY_URL", "redis://127.0.0.1:6379/12")

app = Celery("bare", broker=URL, backend=URL)
app.conf.update(
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
)


@app.task(name="bare.noop")
def noop() -> None:
    """Nothing: what is measured is Celery's own cost per task."""
