"""The contract every store's TaskRepository must pass (conftest: every store of STORES)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connections

from tasks.domain import PublicStatus, Task, TaskResult, TaskStatus
from tasks.errors import StorageQuotaExceeded, TooManyInProgress
from tasks.repositories.base import TaskQuery, TaskRepository
from tests.support import EPOCH, make_task


@pytest.fixture
def repository(store_part) -> TaskRepository:
    repository = store_part("tasks")
    yield repository
    repository.close()


def _start(repository, task):
    return repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=EPOCH)


def test_add_then_get_returns_equal_task(repository):
    task = make_task()
    repository.add(task)
    assert repository.get(task.id) == task


def test_binary_inputs_are_kept_apart_and_come_with_the_claim(repository):
    task = Task.new(kind="image", params={"image": b"\x89PNG\x00", "filters": [{"op": "sepia"}]}, now=EPOCH)
    assert task.params == {"filters": [{"op": "sepia"}]} and task.inputs == {"image": b"\x89PNG\x00"}
    plain = make_task()
    repository.add(task)
    repository.add(plain)
    assert repository.get(task.id).params == {"filters": [{"op": "sepia"}]}
    assert _start(repository, task).inputs == {"image": b"\x89PNG\x00"}
    assert _start(repository, plain).inputs == {}


def test_starting_counts_attempts(repository):
    task = make_task()
    repository.add(task)
    assert _start(repository, task).attempts == 1


def test_lost_tasks_are_found_by_stale_heartbeat_and_can_be_requeued(repository):
    quiet, alive = make_task(), make_task()
    for task in (quiet, alive):
        repository.add(task)
        _start(repository, task)  # heartbeat at EPOCH
    repository.heartbeat([alive.id], EPOCH + timedelta(minutes=5))
    lost = repository.find_lost(heartbeat_before=EPOCH + timedelta(minutes=1), limit=10)
    assert [task.id for task in lost] == [quiet.id]
    again = repository.transition(quiet.id, expected=TaskStatus.RUNNING, target=TaskStatus.QUEUED, at=EPOCH)
    assert again.status is TaskStatus.QUEUED and again.started_at is None and again.attempts == 1
    assert _start(repository, quiet).attempts == 2


def test_get_unknown_is_none(repository):
    assert repository.get(make_task().id) is None


def test_transition_is_compare_and_set(repository):
    task = make_task()
    repository.add(task)
    started = _start(repository, task)
    assert started is not None and started.status is TaskStatus.RUNNING and started.started_at == EPOCH
    assert _start(repository, task) is None  # a second executor cannot start it again
    assert repository.get(task.id).status is TaskStatus.RUNNING


def test_only_one_of_many_concurrent_starters_wins(repository):
    task = make_task()
    repository.add(task)
    barrier = threading.Barrier(8)
    wins = []

    def start():
        barrier.wait()
        wins.append(_start(repository, task))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for won in wins if won is not None) == 1


def test_success_stores_result_and_its_info(repository):
    task = make_task()
    repository.add(task)
    _start(repository, task)
    result = TaskResult(b'{"a":1}', "application/json")
    done = repository.transition(
        task.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=EPOCH, result=result
    )
    assert done.status is TaskStatus.SUCCEEDED and done.result.size == 7
    assert repository.get_result(task.id) == result


def test_transition_of_missing_task_is_none(repository):
    assert _start(repository, make_task()) is None


def test_progress_only_while_running(repository):
    task = make_task()
    repository.add(task)
    repository.set_progress(task.id, 0.5)
    assert repository.get(task.id).progress == 0.0
    _start(repository, task)
    repository.set_progress(task.id, 0.5)
    assert repository.get(task.id).progress == 0.5


def test_request_cancel_flags_running_tasks_only(repository):
    queued, running = make_task(), make_task()
    repository.add(queued)
    repository.add(running)
    _start(repository, running)
    assert repository.request_cancel(running.id).cancel_requested is True
    assert repository.request_cancel(queued.id).cancel_requested is False
    assert repository.request_cancel(make_task().id) is None


def test_delete_removes_task_and_result(repository):
    task = make_task()
    repository.add(task)
    assert repository.delete(task.id) is True
    assert repository.get(task.id) is None and repository.get_result(task.id) is None
    assert repository.delete(task.id) is False


def test_list_is_newest_first_and_pages_with_a_cursor(repository):
    tasks = [make_task(seconds_after_epoch=i) for i in range(7)]
    for task in reversed(tasks):  # insertion order must not matter
        repository.add(task)
    first = repository.list(TaskQuery(owner=None, limit=3))
    assert [t.id for t in first] == [t.id for t in tasks[6:3:-1]]
    cursor = (first[-1].created_at, first[-1].id)
    second = repository.list(TaskQuery(owner=None, limit=3, before=cursor))
    assert [t.id for t in second] == [t.id for t in tasks[3:0:-1]]


def test_list_filters_by_owner_status_and_kind(repository):
    mine, theirs, other_kind = make_task(owner="a"), make_task(owner="b"), make_task(owner="a", kind="other")
    for task in (mine, theirs, other_kind):
        repository.add(task)
    _start(repository, mine)
    assert {t.id for t in repository.list(TaskQuery(owner="a", limit=10))} == {mine.id, other_kind.id}
    assert [t.id for t in repository.list(TaskQuery(owner="a", limit=10, kind="sleep"))] == [mine.id]
    running = repository.list(TaskQuery(owner="a", limit=10, statuses=[TaskStatus.RUNNING]))
    assert [t.id for t in running] == [mine.id]
    assert repository.list(TaskQuery(owner="a", limit=10, statuses=PublicStatus.READY.internal)) == []


def test_list_without_owner_is_every_owners(repository):
    tasks = [make_task(owner="a"), make_task(owner="b"), make_task()]
    for task in tasks:
        repository.add(task)
    assert {t.id for t in repository.list(TaskQuery(owner=None, limit=10))} == {t.id for t in tasks}


def test_in_progress_count_follows_the_lifecycle(repository):
    queued, running, done, deleted = (make_task(owner="a") for _ in range(4))
    theirs = make_task(owner="b")
    for task in (queued, running, done, deleted, theirs):
        repository.add(task)
    assert repository.count_in_progress("a") == 4
    _start(repository, running)
    repository.transition(done.id, expected=TaskStatus.QUEUED, target=TaskStatus.CANCELLED, at=EPOCH)
    repository.delete(deleted.id)
    assert repository.count_in_progress("a") == 2
    assert repository.count_in_progress("b") == 1 and repository.count_in_progress("c") == 0


def test_add_refuses_past_the_owners_in_progress_limit(repository):
    for _ in range(2):
        repository.add(make_task(owner="a"), max_in_progress=2)
    with pytest.raises(TooManyInProgress):
        repository.add(make_task(owner="a"), max_in_progress=2)
    repository.add(make_task(owner="b"), max_in_progress=2)
    assert repository.count_in_progress("a") == 2


def test_stored_bytes_count_params_inputs_and_results_until_deleted(repository):
    task = Task.new(kind="code", params={"source": "x" * 1000, "image": b"\0" * 500}, owner="a", now=EPOCH)
    repository.add(task)
    assert repository.stored_bytes("a") == task.input_bytes > 1500
    _start(repository, task)
    result = TaskResult(b"y" * 300, "application/json")
    repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=EPOCH, result=result)
    assert repository.stored_bytes("a") == task.input_bytes + 300
    assert repository.stored_bytes("b") == 0
    repository.delete(task.id)
    assert repository.stored_bytes("a") == 0


def test_add_refuses_past_the_owners_storage_quota_and_others_are_unaffected(repository):
    """Item 9 of issue 12: one caller's results filled the whole store, and everyone got 503."""
    first = Task.new(kind="code", params={"source": "x" * 600}, owner="a", now=EPOCH)
    repository.add(first, max_stored_bytes=1000)
    second = Task.new(kind="code", params={"source": "x" * 600}, owner="a", now=EPOCH)
    with pytest.raises(StorageQuotaExceeded) as refused:
        repository.add(second, max_stored_bytes=1000)
    assert refused.value.quota == "storage" and refused.value.used == first.input_bytes
    repository.add(Task.new(kind="code", params={"source": "x" * 600}, owner="b", now=EPOCH), max_stored_bytes=1000)
    repository.delete(first.id)
    repository.add(second, max_stored_bytes=1000)


def test_a_results_room_is_held_from_submit_and_gives_way_to_the_result(repository):
    """Issue 25 item 2: shares were checked against inputs only, and results grew past them."""
    task = Task.new(kind="code", params={"source": "x"}, owner="a", now=EPOCH, reserved_bytes=5000)
    repository.add(task, max_stored_bytes=6000)
    assert repository.stored_bytes("a") == task.input_bytes + 5000
    assert repository.get(task.id).reserved_bytes == 5000
    with pytest.raises(StorageQuotaExceeded) as refused:  # the room is taken, though nothing ran yet
        more = Task.new(kind="code", params={}, owner="a", now=EPOCH, reserved_bytes=1000)
        repository.add(more, max_stored_bytes=6000)
    assert refused.value.used == task.input_bytes + 5000
    _start(repository, task)
    assert repository.stored_bytes("a") == task.input_bytes + 5000
    result = TaskResult(b"y" * 300, "application/json")
    repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=EPOCH, result=result)
    assert repository.stored_bytes("a") == task.input_bytes + 300
    assert repository.census().stored_bytes == task.input_bytes + 300


@pytest.mark.parametrize("end", [TaskStatus.FAILED, TaskStatus.CANCELLED, None])
def test_a_task_that_ends_without_a_result_or_is_deleted_frees_its_room(repository, end):
    task = Task.new(kind="code", params={}, owner="a", now=EPOCH, reserved_bytes=5000)
    repository.add(task)
    _start(repository, task)
    if end is None:
        repository.delete(task.id)
        assert repository.stored_bytes("a") == 0
        return
    repository.transition(task.id, expected=TaskStatus.RUNNING, target=end, at=EPOCH)
    assert repository.stored_bytes("a") == task.input_bytes
    repository.delete(task.id)
    assert repository.stored_bytes("a") == 0 and repository.census().stored_bytes == 0


def test_in_progress_limit_holds_under_concurrent_adds(repository):
    """Eight threads (eight connections for the database) race to add 40 tasks under a limit of 5."""
    barrier = threading.Barrier(8)
    refused = []

    def add_five():
        barrier.wait()
        for _ in range(5):
            try:
                repository.add(make_task(owner="racer"), max_in_progress=5)
            except TooManyInProgress:
                refused.append(1)
        connections.close_all()  # this thread's own

    threads = [threading.Thread(target=add_five) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert repository.count_in_progress("racer") == 5 and len(refused) == 35


def test_count_by_status(repository):
    a, b = make_task(), make_task()
    repository.add(a)
    repository.add(b)
    _start(repository, a)
    assert repository.count() == 2
    assert repository.count(statuses=[TaskStatus.RUNNING]) == 1


def test_purge_removes_only_tasks_finished_before_the_cutoff(repository):
    old, recent, unfinished = make_task(), make_task(), make_task()
    for task in (old, recent, unfinished):
        repository.add(task)
    for task, finished in ((old, EPOCH), (recent, EPOCH + timedelta(hours=2))):
        repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.CANCELLED, at=finished)
    assert repository.purge_finished(before=EPOCH + timedelta(hours=1)) == 1
    assert repository.get(old.id) is None
    assert repository.get(recent.id) is not None and repository.get(unfinished.id) is not None
    assert [t.id for t in repository.list(TaskQuery(owner=None, limit=10))] != []


def test_check_passes_on_a_usable_store(repository):
    repository.check()


def test_undispatched_queued_tasks_are_found_until_marked(repository):
    orphan, handed_over, young = (make_task(seconds_after_epoch=s) for s in (0, 1, 100))
    for task in (orphan, handed_over, young):
        repository.add(task)
    repository.mark_dispatched([handed_over.id], EPOCH + timedelta(seconds=2))
    assert repository.get(handed_over.id).dispatched_at == EPOCH + timedelta(seconds=2)
    found = repository.find_undispatched(created_before=EPOCH + timedelta(seconds=50), limit=10)
    assert [task.id for task in found] == [orphan.id]
    repository.mark_dispatched([orphan.id], EPOCH + timedelta(seconds=3))
    assert repository.find_undispatched(created_before=EPOCH + timedelta(seconds=50), limit=10) == []


def test_a_task_queued_anew_is_undispatched_again_and_running_ones_are_not_orphans(repository):
    task = make_task()
    repository.add(task)
    repository.mark_dispatched([task.id], EPOCH)
    _start(repository, task)
    assert repository.find_undispatched(created_before=EPOCH + timedelta(hours=1), limit=10) == []
    requeued = repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.QUEUED, at=EPOCH)
    assert requeued.dispatched_at is None and repository.get(task.id).dispatched_at is None
    assert [t.id for t in repository.find_undispatched(created_before=EPOCH + timedelta(hours=1), limit=10)] == [
        task.id
    ]


@pytest.mark.parametrize("target", [TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED])
def test_a_watch_is_woken_when_another_thread_finishes_the_task(repository, target):
    task = make_task()
    repository.add(task)
    _start(repository, task)
    with repository.watch_finish(task.id, None) as watch:

        def finish():
            repository.transition(task.id, expected=TaskStatus.RUNNING, target=target, at=EPOCH)
            connections.close_all()  # this thread's connection (PostgreSQL)

        finisher = threading.Timer(0.1, finish)
        finisher.start()
        deadline = time.monotonic() + 10  # woken for nothing (e.g. a listener connecting) is allowed
        while repository.get(task.id).status is not target and time.monotonic() < deadline:
            assert watch.wait(deadline - time.monotonic()), "not woken by the finish"
        finisher.join()
    assert repository.get(task.id).status is target


def test_add_all_stores_a_batch_whole_or_not_at_all(repository):
    repository.add(make_task(owner="alice"))
    batch = [make_task(owner="alice", seconds_after_epoch=n) for n in range(1, 4)]
    with pytest.raises(TooManyInProgress):
        repository.add_all(batch, max_in_progress=3)
    assert repository.count_in_progress("alice") == 1 and repository.count() == 1
    repository.add_all(batch[:2], max_in_progress=3)
    assert repository.count_in_progress("alice") == 3
    assert [task.id for task in repository.list(TaskQuery(owner="alice", limit=10))][:2] == [batch[1].id, batch[0].id]
    held = repository.stored_bytes("alice")
    images = [Task.new(kind="image", params={"image": b"x" * 100}, owner="alice", now=EPOCH) for _ in range(2)]
    with pytest.raises(StorageQuotaExceeded):
        repository.add_all(images, max_stored_bytes=held + 150)  # either fits, not both
    assert repository.stored_bytes("alice") == held


def test_census_counts_tasks_bytes_and_work_in_progress(repository):
    assert tuple(repository.census()) == (0, 0, 0)
    image = Task.new(kind="image", params={"image": b"x" * 100}, owner="alice", now=EPOCH)
    done = make_task(owner="bob")
    for task in (image, done):
        repository.add(task)
    _start(repository, done)
    repository.transition(
        done.id,
        expected=TaskStatus.RUNNING,
        target=TaskStatus.SUCCEEDED,
        at=EPOCH,
        result=TaskResult(b"12345", "application/json"),
    )
    assert tuple(repository.census()) == (2, image.stored_bytes + done.input_bytes + 5, 1)


def test_hand_offs_stamp_only_queued_tasks_and_heartbeats_only_running_ones(repository):
    queued, running, gone = make_task(), make_task(), make_task()
    for task in (queued, running):
        repository.add(task)
    _start(repository, running)  # claimed: it needs no record of its hand-off
    at = EPOCH + timedelta(seconds=7)
    repository.mark_dispatched([queued.id, running.id, gone.id], at)
    repository.heartbeat([queued.id, running.id, gone.id], at)
    assert (repository.get(queued.id).dispatched_at, repository.get(queued.id).heartbeat_at) == (at, None)
    assert (repository.get(running.id).dispatched_at, repository.get(running.id).heartbeat_at) == (None, at)
    assert repository.get(gone.id) is None
