"""run_task: the outcome of every handler behaviour is recorded exactly once."""

import dataclasses
import json

import pytest

from stores.memory.tasks import InMemoryTaskRepository
from tasks import execution, kinds
from tasks.domain import TaskResult, TaskStatus
from tasks.kinds.base import ParamsSerializer, TaskCancelled, TaskKind
from tests.support import make_task


@pytest.fixture
def repo():
    return InMemoryTaskRepository(max_tasks=100, max_bytes=10**9)


@pytest.fixture
def kind(monkeypatch):
    """Registers a test kind whose handler the test sets."""
    box = {}

    def handler(context, params):
        return box["handler"](context, params)

    monkeypatch.setitem(kinds.registry(), "probe", TaskKind("probe", "test kind", ParamsSerializer, handler))
    return box


def _queued(repo):
    task = make_task(kind="probe")
    repo.add(task)
    return task


def test_json_result_is_stored_as_json(repo, kind):
    kind["handler"] = lambda context, params: {"answer": 42}
    task = _queued(repo)
    done = execution.run_task(task.id, repository=repo)
    assert done.status is TaskStatus.SUCCEEDED and done.progress == 1.0
    result = repo.get_result(task.id)
    assert json.loads(result.data) == {"answer": 42} and result.content_type == "application/json"


def test_binary_result_keeps_its_content_type(repo, kind):
    kind["handler"] = lambda context, params: TaskResult(b"\x89PNG", "image/png", "out.png", {"width": 1})
    task = _queued(repo)
    execution.run_task(task.id, repository=repo)
    assert repo.get_result(task.id).content_type == "image/png"
    assert repo.get(task.id).result.meta == {"width": 1}


def test_exception_marks_failed_with_reason(repo, kind):
    def explode(context, params):
        raise ValueError("bad pixel")

    kind["handler"] = explode
    task = _queued(repo)
    done = execution.run_task(task.id, repository=repo)
    assert done.status is TaskStatus.FAILED and done.error == "ValueError: bad pixel"


def test_unserializable_output_fails_the_task(repo, kind):
    kind["handler"] = lambda context, params: {"nan": float("nan")}
    assert execution.run_task(_queued(repo).id, repository=repo).status is TaskStatus.FAILED


def test_progress_reports_reach_the_store(repo, kind):
    seen = []

    def handler(context, params):
        context.report_progress(0.5)
        seen.append(repo.get(task.id).progress)
        return None

    kind["handler"] = handler
    task = _queued(repo)
    execution.run_task(task.id, repository=repo)
    assert seen == [0.5]


def test_cancel_request_is_noticed_and_recorded(repo, kind):
    def handler(context, params):
        assert not context.cancelled()
        repo.request_cancel(task.id)
        context._next_check = 0  # skip the rate limit for the test
        if context.cancelled():
            raise TaskCancelled
        return "not cancelled"

    kind["handler"] = handler
    task = _queued(repo)
    assert execution.run_task(task.id, repository=repo).status is TaskStatus.CANCELLED


def test_shutdown_while_running_fails_with_clear_reason(repo, kind):
    def handler(context, params):
        if context.cancelled():
            raise TaskCancelled
        return "ran"

    kind["handler"] = handler
    done = execution.run_task(_queued(repo).id, repository=repo, stopping=lambda: True)
    assert done.status is TaskStatus.FAILED and done.error == execution.SHUTDOWN_WHILE_RUNNING


def test_task_already_taken_is_not_run_twice(repo, kind):
    calls = []
    kind["handler"] = lambda context, params: calls.append(1)
    task = _queued(repo)
    execution.run_task(task.id, repository=repo)
    assert execution.run_task(task.id, repository=repo) is None
    assert calls == [1]


def test_fail_unfinished_handles_queued_and_running(repo):
    queued, running = make_task(), make_task()
    repo.add(queued)
    repo.add(running)
    repo.transition(running.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=running.created_at)
    for task in (queued, running):
        execution.fail_unfinished(task.id, "gone", repository=repo)
        assert repo.get(task.id).status is TaskStatus.FAILED and repo.get(task.id).error == "gone"


def test_a_result_larger_than_its_reservation_is_not_kept(repo, kind):
    """Issue 25 item 2: the room reserved at submit is a promise to the share; a kind that
    breaks it fails the task instead of overfilling the caller's share and the store."""
    kind["handler"] = lambda context, params: TaskResult(b"x" * 2000, "application/octet-stream")
    task = dataclasses.replace(make_task(kind="probe", owner="a"), reserved_bytes=1000)
    repo.add(task)
    done = execution.run_task(task.id, repository=repo)
    assert done.status is TaskStatus.FAILED and "2,000 bytes, over the 1,000 reserved" in done.error
    assert repo.get_result(task.id) is None and repo.stored_bytes("a") == task.input_bytes
