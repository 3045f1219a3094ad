"""Use cases, tested with an in-memory store and a executor that only records (no threads)."""

import base64
import json

import pytest

from kinds.code import kind as code
from kinds.image import vips
from stores.memory.tasks import InMemoryTaskRepository
from tasks import services
from tasks.domain import PublicStatus, TaskStatus, utcnow
from tasks.errors import (
    InvalidCursor,
    InvalidParams,
    InvalidTaskId,
    QueueFull,
    ResultUnavailable,
    TaskAlreadyFinished,
    TaskNotFound,
    TooManyInProgress,
    UnknownKind,
)
from tasks.execution import run_task
from tests.images import encoded, photo
from tests.support import RecordingExecutor, make_caller


@pytest.fixture
def repo():
    return InMemoryTaskRepository(max_tasks=1000, max_bytes=10**9)


@pytest.fixture
def executor():
    return RecordingExecutor()


@pytest.fixture
def submit(repo, executor):
    def submit(kind="sleep", params=None, caller=None):
        params = {"seconds": 0} if params is None else params
        return services.submit_task(kind=kind, params=params, caller=caller, repository=repo, executor=executor).task

    return submit


def test_submit_stores_and_dispatches(submit, repo, executor):
    task = submit()
    assert executor.submitted == [task.id]
    assert repo.get(task.id).status is TaskStatus.QUEUED  # the executor records a hand-off it makes


def test_submit_defaults_to_sleep_with_default_params(repo, executor):
    task = services.submit_task(repository=repo, executor=executor).task
    assert task.kind == "sleep" and task.params == {"seconds": 2.0, "size": 16}


def test_submit_rejects_unknown_kind_and_bad_params(submit):
    with pytest.raises(UnknownKind):
        submit(kind="nope")
    with pytest.raises(InvalidParams) as caught:
        submit(params={"seconds": -1, "extra": True})
    assert set(caught.value.errors) == {"seconds", "extra"}


def test_submit_enforces_configured_sleep_maximum(submit, settings):
    settings.SLEEP_MAX_SECONDS = 1
    with pytest.raises(InvalidParams):
        submit(params={"seconds": 1.5})


def test_submit_keeps_nothing_when_the_queue_refuses(repo):
    with pytest.raises(QueueFull):
        services.submit_task(repository=repo, executor=RecordingExecutor(fail_with=QueueFull(1)))
    assert repo.count() == 0


def test_get_task_unknown_and_malformed_ids(repo):
    with pytest.raises(InvalidTaskId):
        services.get_task(task_id="not-a-uuid", repository=repo)
    with pytest.raises(TaskNotFound):
        services.get_task(task_id="5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1", repository=repo)


def test_other_owners_task_looks_missing_to_every_use_case(submit, repo):
    task = submit(caller=make_caller("user:1"))
    for use_case in (services.get_task, services.get_result, services.cancel_task, services.delete_task):
        with pytest.raises(TaskNotFound) as caught:
            use_case(task_id=task.id, owner="user:2", repository=repo)
        assert str(caught.value) == f"No task with id {task.id}."  # word for word what an unknown id gets
    assert services.list_tasks(owner="user:2", repository=repo).tasks == []
    assert repo.get(task.id) == task  # untouched
    assert services.get_task(task_id=task.id, owner="user:1", repository=repo) == task


def test_anonymous_tasks_belong_to_whoever_holds_the_id(submit, repo):
    task = submit(caller=make_caller("anon:10.0.0.1", anonymous=True))
    assert services.get_task(task_id=task.id, owner="anon:10.0.0.2", repository=repo).id == task.id
    assert services.get_task(task_id=task.id, owner="user:7", repository=repo).id == task.id


def test_in_progress_quota_counts_queued_and_running_and_frees_on_finish(submit, repo):
    caller = make_caller("user:1", max_in_progress=2)
    first, second = submit(caller=caller), submit(caller=caller)
    repo.transition(first.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=utcnow())
    with pytest.raises(TooManyInProgress) as caught:
        submit(caller=caller)
    assert (caught.value.quota, caught.value.limit, caught.value.used) == ("in_progress", 2, 2)
    assert services.count_in_progress(owner="user:1", repository=repo) == 2
    submit(caller=make_caller("user:2", max_in_progress=2))  # another caller's quota is their own
    services.cancel_task(task_id=second.id, owner="user:1", repository=repo)
    third = submit(caller=caller)
    services.delete_task(task_id=third.id, owner="user:1", repository=repo)
    submit(caller=caller)
    assert services.count_in_progress(owner="user:1", repository=repo) == 2


def test_code_ceilings_refuse_what_is_asked_above_them_and_lower_defaults(submit, monkeypatch):
    monkeypatch.setattr("kinds.code.kind.sandbox_ready", lambda: None)
    caller = make_caller("anon:1", anonymous=True, code={"max_time_s": 1.0, "max_memory_mb": 64})
    with pytest.raises(InvalidParams) as caught:
        submit("code", {"language": "python", "source": "print(1)", "limits": {"time_s": 1.5}}, caller=caller)
    assert caught.value.errors == {"limits": {"time_s": ["At most 1 s for your quota."]}}
    task = submit("code", {"language": "python", "source": "print(1)"}, caller=caller)
    assert task.params["limits"]["time_s"] == 1.0 and task.params["limits"]["memory_mb"] == 64


def test_image_ceilings_bound_source_pixels_steps_and_every_step_output(submit):
    image = base64.b64encode(encoded(photo(100, 50))).decode()
    grey = {"op": "grayscale"}
    caller = make_caller("anon:1", anonymous=True, image={"max_pixels": 4_000, "max_steps": 2})
    with pytest.raises(InvalidParams) as caught:
        submit("image", {"image": image, "filters": [grey] * 3}, caller=caller)
    assert set(caught.value.errors) == {"image", "filters"}
    roomy = make_caller("anon:1", anonymous=True, image={"max_pixels": 10_000, "max_steps": 2})
    task = submit("image", {"image": image, "filters": [grey]}, caller=roomy)
    assert task.params["max_pixels"] == 10_000


def test_result_lifecycle(submit, repo):
    task = submit(params={"seconds": 0, "size": 8})
    with pytest.raises(ResultUnavailable) as caught:
        services.get_result(task_id=str(task.id), repository=repo)
    assert caught.value.task.status.public is PublicStatus.IN_PROGRESS
    run_task(task.id, repository=repo)
    _, result = services.get_result(task_id=str(task.id), repository=repo)
    body = json.loads(result.data)
    assert result.content_type == "application/json" and len(body["garbage"]) == 16


def test_cancel_queued_task_prevents_start(submit, repo):
    task = submit()
    assert services.cancel_task(task_id=task.id, repository=repo).status is TaskStatus.CANCELLED
    assert run_task(task.id, repository=repo) is None
    assert repo.get(task.id).status is TaskStatus.CANCELLED
    # cancelling again is a no-op
    assert services.cancel_task(task_id=task.id, repository=repo).status is TaskStatus.CANCELLED


def test_cancel_running_task_flags_it(submit, repo):
    task = submit()
    repo.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=task.created_at)
    flagged = services.cancel_task(task_id=task.id, repository=repo)
    assert flagged.status is TaskStatus.RUNNING and flagged.cancel_requested


def test_cancel_finished_task_is_refused(submit, repo):
    task = submit()
    run_task(task.id, repository=repo)
    with pytest.raises(TaskAlreadyFinished):
        services.cancel_task(task_id=task.id, repository=repo)


def test_delete_cancels_and_forgets(submit, repo):
    task = submit()
    services.delete_task(task_id=task.id, repository=repo)
    assert repo.get(task.id) is None
    assert run_task(task.id, repository=repo) is None
    with pytest.raises(TaskNotFound):
        services.delete_task(task_id=task.id, repository=repo)


def test_list_pages_through_everything_newest_first(submit, repo):
    ids = [submit().id for _ in range(5)]
    seen, cursor = [], None
    while True:
        page = services.list_tasks(limit=2, cursor=cursor, repository=repo)
        seen += [task.id for task in page.tasks]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(ids))


def test_list_filters_by_public_status(submit, repo):
    done, waiting = submit(), submit()
    run_task(done.id, repository=repo)
    ready = services.list_tasks(status=PublicStatus.READY, repository=repo)
    assert [task.id for task in ready.tasks] == [done.id]
    in_progress = services.list_tasks(status=PublicStatus.IN_PROGRESS, repository=repo)
    assert [task.id for task in in_progress.tasks] == [waiting.id]


@pytest.mark.parametrize("cursor", ["zzz", "!!!", "bm90IGEgY3Vyc29y"])
def test_list_rejects_foreign_cursors(repo, cursor):
    with pytest.raises(InvalidCursor):
        services.list_tasks(cursor=cursor, repository=repo)


def test_readiness_names_failing_components(repo):
    class Broken(RecordingExecutor):
        def check(self):
            raise RuntimeError("no workers")

    assert services.check_readiness(repository=repo, executor=RecordingExecutor()) == {
        "repository": "ok",
        "dispatcher": "ok",
        "sandbox": code.isolation(),
        "image_convolutions": vips.engine(),
    }
    with pytest.raises(Exception, match="dispatcher \\(no workers\\)"):
        services.check_readiness(repository=repo, executor=Broken())


def test_a_batch_whose_hand_off_fails_half_way_keeps_none_of_its_tasks(repo):
    class FailsSecond(RecordingExecutor):
        def submit(self, task_id, *, owner=None):
            if self.submitted:
                raise QueueFull(1)
            super().submit(task_id, owner=owner)

    executor = FailsSecond()
    with pytest.raises(QueueFull):
        services.submit_tasks(items=[("sleep", {}, None)] * 3, repository=repo, executor=executor)
    assert len(executor.submitted) == 1 and repo.count() == 0
    assert run_task(executor.submitted[0], repository=repo) is None  # the one handed off finds nothing to run
