"""The PostgreSQL store's hot calls stay one statement each, and bytes stay cheap to store: each
of these was measured (bench/scale.py) before it was made so."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stores.postgres.tasks import PostgresTaskRepository
from tasks.domain import Task, TaskResult, TaskStatus
from tests.support import EPOCH, make_task

pytestmark = pytest.mark.django_db


def statements(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        call()
    return [query["sql"] for query in captured.captured_queries]


def test_submit_status_claim_and_finish_are_one_statement_each():
    repository = PostgresTaskRepository()
    task = make_task(owner="user:1")
    assert len(statements(lambda: repository.add(task, max_in_progress=5, max_stored_bytes=10**6))) == 1
    assert len(statements(lambda: repository.get(task.id))) == 1
    move = repository.transition
    assert len(statements(lambda: move(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=EPOCH))) == 1
    finish = statements(
        lambda: move(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.FAILED, at=EPOCH, error="e")
    )
    assert len(finish) == 1


def test_blobs_are_stored_uncompressed_and_round_trip_intact():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'task_blob'::regclass AND attname = 'data'"
        )
        assert cursor.fetchone() == ("e",)  # EXTERNAL: out of line, no pglz (migration 0006)
    repository = PostgresTaskRepository()
    data = bytes(range(256)) * 4096  # every byte value, 1 MiB: nothing lost to escaping
    task = Task.new(kind="image", params={"image": data, "filters": [{"op": "sepia"}]}, now=EPOCH)
    repository.add(task)
    claimed = repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=EPOCH)
    assert claimed.inputs == {"image": data}
    result = TaskResult(data[::-1], "image/png", "out.png", {"width": 1})
    repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=EPOCH, result=result)
    assert repository.get_result(task.id) == result
