"""The per-owner usage row (migration 0005's trigger) always equals a recount of the owner's rows,
whatever changed them: the quota checks read it instead of summing every row on each submit."""

import dataclasses

import pytest
from django.db import connection

from stores.postgres.tasks import PostgresTaskRepository
from tasks.domain import TaskResult, TaskStatus
from tests.support import EPOCH, make_task

pytestmark = pytest.mark.django_db


def recount(owner: str) -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status IN ('queued', 'running')), "
            "coalesce(sum(input_bytes + coalesce(result_size, 0)), 0) FROM task WHERE owner = %s",
            [owner],
        )
        active, held = cursor.fetchone()
        return active, int(held)


def test_usage_follows_inserts_transitions_deletes_and_purges():
    repository = PostgresTaskRepository()
    tasks = [make_task(owner="user:1", seconds_after_epoch=n) for n in range(6)]
    tasks = [dataclasses.replace(task, input_bytes=100 * (n + 1)) for n, task in enumerate(tasks)]
    other = make_task(owner="user:2")
    for task in [*tasks, other]:
        repository.add(task)
    assert repository._owner_use("user:1") == recount("user:1") == (6, 2100)
    at = EPOCH
    for task in tasks[:4]:
        repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=at)
    result = TaskResult(b"x" * 5000, "application/octet-stream")
    repository.transition(tasks[0].id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=at, result=result)
    repository.transition(tasks[1].id, expected=TaskStatus.RUNNING, target=TaskStatus.FAILED, at=at, error="e")
    repository.transition(tasks[2].id, expected=TaskStatus.RUNNING, target=TaskStatus.QUEUED, at=at)
    repository.heartbeat([tasks[3].id], at)
    repository.set_progress(tasks[3].id, 0.5)
    assert repository._owner_use("user:1") == recount("user:1") == (4, 7100)
    repository.delete(tasks[5].id)
    assert repository.purge_finished(before=EPOCH.replace(year=2100)) == 2
    assert repository._owner_use("user:1") == recount("user:1") == (3, 300 + 400 + 500)  # 2 queued, 1 running
    assert repository._owner_use("user:2") == recount("user:2") == (1, other.input_bytes)
    assert repository._owner_use("nobody") == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_change_that_moves_no_count_leaves_the_usage_row_alone():
    """Each statement commits on its own here, so the row's xmin says which ones wrote it."""
    repository = PostgresTaskRepository()
    task = dataclasses.replace(make_task(owner="user:1"), input_bytes=10, reserved_bytes=1000)
    repository.add(task)

    def version() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT xmin::text FROM task_owner_usage WHERE owner = %s", ["user:1"])
            return cursor.fetchone()[0]

    before = version()
    repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=EPOCH)
    repository.heartbeat([task.id], EPOCH)
    assert version() == before  # still one task in progress holding 1010 bytes
    result = TaskResult(b"x" * 100, "application/octet-stream")
    repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=EPOCH, result=result)
    assert version() != before
    assert repository._owner_use("user:1") == recount("user:1") == (0, 110)
