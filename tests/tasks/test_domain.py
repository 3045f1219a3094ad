import pytest

from tasks.domain import TRANSITIONS, IllegalTransition, PublicStatus, ResultInfo, TaskStatus
from tests.support import EPOCH, make_task


def test_new_task_is_queued_and_in_progress():
    task = make_task()
    assert task.status is TaskStatus.QUEUED
    assert task.status.public is PublicStatus.IN_PROGRESS
    assert task.progress == 0.0 and task.started_at is None


def test_running_sets_started_at():
    task = make_task().moved_to(TaskStatus.RUNNING, at=EPOCH)
    assert task.started_at == EPOCH and task.finished_at is None
    assert task.status.public is PublicStatus.IN_PROGRESS


def test_success_is_ready_with_full_progress_and_result_info():
    info = ResultInfo("application/json", 10)
    task = make_task().moved_to(TaskStatus.RUNNING, at=EPOCH).moved_to(TaskStatus.SUCCEEDED, at=EPOCH, result=info)
    assert task.status.public is PublicStatus.READY
    assert task.progress == 1.0 and task.result == info and task.finished_at == EPOCH


def test_failure_records_reason():
    task = make_task().moved_to(TaskStatus.RUNNING, at=EPOCH).moved_to(TaskStatus.FAILED, at=EPOCH, error="boom")
    assert task.status.public is PublicStatus.FAILED and task.error == "boom"


@pytest.mark.parametrize("terminal", [TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED])
@pytest.mark.parametrize("target", list(TaskStatus))
def test_terminal_states_are_final(terminal, target):
    task = make_task().moved_to(TaskStatus.RUNNING, at=EPOCH).moved_to(terminal, at=EPOCH)
    with pytest.raises(IllegalTransition):
        task.moved_to(target, at=EPOCH)


def test_queued_cannot_succeed_without_running():
    with pytest.raises(IllegalTransition):
        make_task().moved_to(TaskStatus.SUCCEEDED, at=EPOCH)


def test_every_status_has_a_transition_row_and_a_public_name():
    assert set(TRANSITIONS) == set(TaskStatus)
    assert {status.public for status in TaskStatus} == set(PublicStatus)


def test_public_status_maps_back_to_internal_states():
    assert set(PublicStatus.IN_PROGRESS.internal) == {TaskStatus.QUEUED, TaskStatus.RUNNING}
    assert PublicStatus.READY.internal == (TaskStatus.SUCCEEDED,)


def test_progress_is_clamped():
    assert make_task().with_progress(1.7).progress == 1.0
    assert make_task().with_progress(-1).progress == 0.0
