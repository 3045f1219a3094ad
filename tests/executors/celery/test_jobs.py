"""The executor service's periodic jobs, with an in-memory store and the Celery executor's messages
kept instead of sent."""

import dataclasses
import uuid
from datetime import timedelta

import pytest
from celery import current_app

from executors.celery import jobs
from executors.celery.executor import CeleryExecutor
from executors.threads.executor import purge_in_process
from stores.memory.tasks import InMemoryTaskRepository
from tasks import faults, providers, services
from tasks.domain import TaskStatus, utcnow
from tests.support import make_task


@pytest.fixture
def repo(monkeypatch, settings):
    settings.TASK_MAX_ATTEMPTS = 3
    settings.TASK_LOST_AFTER_SECONDS = 30
    repository = InMemoryTaskRepository(max_tasks=100, max_bytes=10**6)
    monkeypatch.setattr(providers, "task_repository", lambda: repository)
    return repository


@pytest.fixture
def executor(monkeypatch, repo):
    """The Celery executor, its messages kept here instead of sent to a broker."""
    celery = CeleryExecutor(repo)
    celery.submitted = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args, **_: celery.submitted.append(uuid.UUID(args[0])))
    monkeypatch.setattr(providers, "executor", lambda: celery)
    yield celery
    celery.shutdown()


def running(repo, *, attempts: int, heartbeat_age: float):
    task = make_task()
    repo.add(task)
    at = utcnow() - timedelta(seconds=heartbeat_age)
    for attempt in range(attempts):
        repo.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=at)
        if attempt < attempts - 1:
            repo.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.QUEUED, at=at)
    return task


def test_lost_tasks_run_again_until_attempts_run_out(repo, executor):
    again = running(repo, attempts=1, heartbeat_age=60)
    exhausted = running(repo, attempts=3, heartbeat_age=60)
    alive = running(repo, attempts=1, heartbeat_age=1)
    assert jobs.reap_lost_tasks() == 2
    assert repo.get(again.id).status is TaskStatus.QUEUED and executor.submitted == [again.id]
    lost = repo.get(exhausted.id)
    assert lost.status is TaskStatus.FAILED and lost.error == services.WORKER_LOST
    assert repo.get(alive.id).status is TaskStatus.RUNNING


def test_purge_job_expires_old_finished_tasks(repo, settings):
    settings.TASK_TTL_SECONDS = 60
    old = make_task()
    repo.add(old)
    repo.transition(old.id, expected=TaskStatus.QUEUED, target=TaskStatus.CANCELLED, at=utcnow() - timedelta(hours=1))
    assert jobs.purge_expired_tasks() == 1 and repo.get(old.id) is None


def test_the_in_process_sweep_expires_tasks_and_hands_their_memory_back(repo, monkeypatch, settings):
    """bench/soak.py: without the trim a worker kept 911 MB after every task had expired."""
    from core import malloc

    settings.TASK_TTL_SECONDS = 60
    trims = []
    monkeypatch.setattr(malloc, "trim", lambda: trims.append(True))
    old = make_task()
    repo.add(old)
    repo.transition(old.id, expected=TaskStatus.QUEUED, target=TaskStatus.CANCELLED, at=utcnow() - timedelta(hours=1))
    assert purge_in_process(repo) == 1 and trims == [True]


def test_orphans_are_dispatched_once_they_are_old_enough(repo, executor, settings):
    """Issue 15: a web process that died between the commit and the publish left a task queued forever."""
    settings.TASK_REDISPATCH_AFTER_SECONDS = 30
    orphan, recent, handed_over = make_task(), make_task(), make_task()
    orphan = dataclasses.replace(orphan, created_at=utcnow() - timedelta(minutes=5))
    recent = dataclasses.replace(recent, created_at=utcnow())
    handed_over = dataclasses.replace(handed_over, created_at=utcnow() - timedelta(minutes=5))
    for task in (orphan, recent, handed_over):
        repo.add(task)
    repo.mark_dispatched([handed_over.id], utcnow())
    assert jobs.redispatch_orphans() == 1 and executor.submitted == [orphan.id]
    executor.shutdown()  # its hand-offs recorded now rather than in a moment
    assert repo.get(orphan.id).dispatched_at is not None
    assert jobs.redispatch_orphans() == 0


def test_a_requeue_that_stops_half_way_leaves_an_orphan_the_next_round_sends(repo, executor, settings, monkeypatch):
    """Issue 15: `reap_lost_tasks` re-queued, then failed to submit: the task stayed queued forever."""
    settings.TASK_REDISPATCH_AFTER_SECONDS = 0.1
    lost = running(repo, attempts=1, heartbeat_age=60)
    monkeypatch.setattr(faults, "_FAULTS", {"after-requeue": "raise"})
    with pytest.raises(faults.InjectedFault):
        jobs.reap_lost_tasks()
    assert repo.get(lost.id).status is TaskStatus.QUEUED and executor.submitted == []
    monkeypatch.setattr(faults, "_FAULTS", {})
    assert jobs.redispatch_orphans() == 1 and executor.submitted == [lost.id]
