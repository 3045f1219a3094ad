"""The executor service's jobs (Celery). Workers run the same handlers as the in-process
executor and write progress, results and failures through the same repository."""

from __future__ import annotations

import threading
import uuid

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings

from tasks import callbacks, execution, providers, services
from tasks.dispatchers.celery import DELIVER_CALLBACK, EXECUTE
from tasks.domain import utcnow


@worker_process_init.connect
def _prepare_kinds(**_: object) -> None:
    """Each kind checks what it needs in each pool process, before its first task."""
    services.prepare_kinds()


@shared_task(name=EXECUTE)
def execute(task_id: str) -> None:
    """Run one task, beating its heartbeat so a lost worker is noticed (see `reap_lost_tasks`)."""
    repository = providers.task_repository()
    key = uuid.UUID(task_id)
    done = threading.Event()

    def beat() -> None:
        while not done.wait(settings.TASK_HEARTBEAT_SECONDS):
            repository.heartbeat(key, utcnow())

    beater = threading.Thread(target=beat, name=f"heartbeat-{task_id}", daemon=True)
    beater.start()
    try:
        execution.run_task(key, repository=repository)
    finally:
        done.set()
        beater.join()


@shared_task(name="tasks.jobs.redispatch_orphans")
def redispatch_orphans() -> int:
    return services.redispatch_orphans(providers.task_repository(), providers.dispatcher())


@shared_task(name="tasks.jobs.reap_lost_tasks")
def reap_lost_tasks() -> int:
    return services.recover_lost_tasks(providers.task_repository(), providers.dispatcher())


@shared_task(name="tasks.jobs.purge_expired_tasks")
def purge_expired_tasks() -> int:
    return providers.purge_expired(providers.task_repository())


@shared_task(name=DELIVER_CALLBACK)
def deliver_callback(task_id: str) -> None:
    """Hand the webhook to this worker's deliverer threads and return: a slow receiver holds no
    worker slot a task could use."""
    providers.callback_queue().kick(uuid.UUID(task_id))


@shared_task(name="tasks.jobs.redeliver_callbacks")
def redeliver_callbacks() -> int:
    return callbacks.redeliver_overdue(providers.task_repository(), providers.deliver_callback)
