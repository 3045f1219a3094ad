"""The Celery executor's jobs. Workers run the same handlers as the threads executor and write
progress, results and failures through the same repository; beat sends the periodic ones."""

from __future__ import annotations

import threading
import uuid

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown
from django.conf import settings

from executors.celery.executor import DELIVER_CALLBACK, EXECUTE
from executors.celery.ledger import Heartbeats
from tasks import callbacks, execution, providers, services
from tasks.callback_queue import CallbackQueue, delivering_for

_lock = threading.Lock()
_webhooks: CallbackQueue | None = None
_heartbeats: Heartbeats | None = None


@worker_process_init.connect
def _prepare_kinds(**_: object) -> None:
    """Each kind checks what it needs in each pool process, before its first task."""
    services.prepare_kinds()


@worker_process_shutdown.connect
def _settle(**_: object) -> None:
    """Webhook attempts under way finish; their retries are due in the store (overdue sweep).
    The sweeps' last hand-offs are recorded."""
    global _webhooks, _heartbeats
    with _lock:
        if _webhooks is not None:
            _webhooks.shutdown()
        if _heartbeats is not None:
            _heartbeats.close()
        _webhooks = _heartbeats = None
    providers.shutdown()


def _beating() -> Heartbeats:
    global _heartbeats
    with _lock:
        if _heartbeats is None:
            repository = providers.task_repository()
            _heartbeats = Heartbeats(repository.heartbeat, every=settings.TASK_HEARTBEAT_SECONDS)
        return _heartbeats


@shared_task(name=EXECUTE)
def execute(task_id: str) -> None:
    """Run one task, its heartbeat beaten (with this process's others) so a lost worker is noticed
    (see `reap_lost_tasks`)."""
    key = uuid.UUID(task_id)
    heartbeats = _beating()
    heartbeats.add(key)
    try:
        execution.run_task(key, repository=providers.task_repository())
    finally:
        heartbeats.discard(key)


@shared_task(name="tasks.jobs.redispatch_orphans")
def redispatch_orphans() -> int:
    return services.redispatch_orphans(providers.task_repository(), providers.executor())


@shared_task(name="tasks.jobs.reap_lost_tasks")
def reap_lost_tasks() -> int:
    return services.recover_lost_tasks(providers.task_repository(), providers.executor())


@shared_task(name="tasks.jobs.purge_expired_tasks")
def purge_expired_tasks() -> int:
    return services.purge_expired(providers.task_repository())


@shared_task(name=DELIVER_CALLBACK)
def deliver_callback(task_id: str) -> None:
    """Hand the webhook to this worker's deliverer threads and return: a slow receiver holds no
    worker slot a task could use."""
    global _webhooks
    with _lock:
        if _webhooks is None:
            _webhooks = delivering_for(providers.task_repository(), workers=settings.WEBHOOK_WORKERS)
        webhooks = _webhooks
    webhooks.kick(uuid.UUID(task_id))


@shared_task(name="tasks.jobs.redeliver_callbacks")
def redeliver_callbacks() -> int:
    return callbacks.redeliver_overdue(providers.task_repository(), providers.executor().deliver_callback)
