"""Task metrics for GET /metrics: submissions, finishes, queue wait and run time by kind,
webhook deliveries and sandbox faults (counted where they happen, in whichever process: web or
Celery worker, summed by prometheus-client's multiprocess mode), and what the store holds (read
from the store at each scrape)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.dispatch import receiver
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric

from tasks.domain import Task
from tasks.repositories.base import Census
from tasks.signals import task_finished

SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)
SUBMITTED = Counter("taskservice_tasks_submitted_total", "Tasks accepted.", ["kind"])
FINISHED = Counter("taskservice_tasks_finished_total", "Tasks finished, by outcome.", ["kind", "outcome"])
QUEUE_WAIT = Histogram("taskservice_task_queue_wait_seconds", "From submit to start.", ["kind"], buckets=SECONDS)
RUN_TIME = Histogram("taskservice_task_run_seconds", "From start to finish.", ["kind"], buckets=SECONDS)
WEBHOOKS = Counter("taskservice_webhook_deliveries_total", "Webhook delivery attempts, by outcome.", ["outcome"])
SANDBOX_FAULTS = Counter("taskservice_sandbox_faults_total", "Code runs whose sandbox itself failed.")


def submitted(tasks: list[Task]) -> None:
    for task in tasks:
        SUBMITTED.labels(task.kind).inc()


@receiver(task_finished)
def _finished(sender: type, task: Task, **_: object) -> None:
    FINISHED.labels(task.kind, task.status.public.value).inc()
    if task.started_at is not None:
        QUEUE_WAIT.labels(task.kind).observe((task.started_at - task.created_at).total_seconds())
        if task.finished_at is not None:
            RUN_TIME.labels(task.kind).observe((task.finished_at - task.started_at).total_seconds())


class StoreCollector:
    """Gauges read from the store when scraped: one answer for every process that shares it."""

    def __init__(self, census: Callable[[], Census]) -> None:
        self._census = census

    def collect(self) -> Iterator[Metric]:
        census = self._census()
        yield GaugeMetricFamily("taskservice_tasks_in_progress", "Tasks queued or running.", value=census.in_progress)
        yield GaugeMetricFamily("taskservice_store_tasks", "Tasks in the store.", value=census.tasks)
        yield GaugeMetricFamily(
            "taskservice_store_bytes", "Bytes of inputs and results in the store.", value=census.stored_bytes
        )
