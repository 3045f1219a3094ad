"""The executor service's jobs (Celery). Workers run the same handlers as the in-process
executor and write progress, results and failures through the same repository."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from tasks import execution, faults, providers
from tasks.domain import Task, TaskStatus, utcnow
from tasks.repositories.base import TaskRepository

logger = logging.getLogger(__name__)

WORKER_LOST = "worker lost"


@shared_task(name="tasks.jobs.execute")
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
    """Queued tasks the dispatcher never got (their web process died between the commit and the
    publish, or a requeue stopped half-way) are sent now. Sent twice, a task still runs once: the
    worker claims it with a compare-and-set."""
    repository = providers.task_repository()
    cutoff = utcnow() - timedelta(seconds=settings.TASK_REDISPATCH_AFTER_SECONDS)
    orphans = repository.find_undispatched(created_before=cutoff, limit=500)
    for task in orphans:
        _dispatch(repository, task)
        logger.warning("task %s: queued but never dispatched; sent now", task.id)
    return len(orphans)


def _dispatch(repository: TaskRepository, task: Task) -> None:
    providers.dispatcher().submit(task.id, owner=task.owner)
    repository.mark_dispatched(task.id, utcnow())


@shared_task(name="tasks.jobs.reap_lost_tasks")
def reap_lost_tasks() -> int:
    """Tasks whose worker died (no heartbeat for TASK_LOST_AFTER_SECONDS) run again, up to
    TASK_MAX_ATTEMPTS, or fail with "worker lost": nothing stays in progress forever."""
    repository = providers.task_repository()
    cutoff = utcnow() - timedelta(seconds=settings.TASK_LOST_AFTER_SECONDS)
    reaped = 0
    for task in repository.find_lost(heartbeat_before=cutoff, limit=500):
        if task.attempts < settings.TASK_MAX_ATTEMPTS:
            if repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.QUEUED, at=utcnow()):
                faults.point("after-requeue")  # failing here leaves it undispatched: redispatch_orphans
                _dispatch(repository, task)
                logger.warning("task %s: worker lost, running it again (attempt %d)", task.id, task.attempts + 1)
        else:
            execution.fail_unfinished(task.id, WORKER_LOST, repository=repository)
            logger.warning("task %s: worker lost after %d attempts; failed", task.id, task.attempts)
        reaped += 1
    return reaped


@shared_task(name="tasks.jobs.purge_expired_tasks")
def purge_expired_tasks() -> int:
    return providers.purge_expired(providers.task_repository())
