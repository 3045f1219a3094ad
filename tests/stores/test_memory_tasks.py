"""What only the in-memory store promises: hard caps on how many tasks and how many bytes it holds."""

from datetime import timedelta

import pytest

from stores.memory.tasks import FULL_MARGIN_BYTES, LARGE_DELETE_BYTES, InMemoryTaskRepository
from tasks.domain import Task, TaskResult, TaskStatus
from tasks.errors import StoreFull
from tests.support import EPOCH, make_task


def test_store_refuses_tasks_past_its_maximum():
    repository = InMemoryTaskRepository(max_tasks=3, max_bytes=10**6)
    for _ in range(3):
        repository.add(make_task())
    with pytest.raises(StoreFull):
        repository.add(make_task())
    assert repository.count() == 3


def image_task(size: int) -> Task:
    return Task.new(kind="image", params={"image": b"x" * size}, now=EPOCH)


def test_inputs_and_results_count_against_the_byte_budget_and_are_released():
    repository = InMemoryTaskRepository(max_tasks=100, max_bytes=1000)
    first = image_task(600)
    repository.add(first)
    with pytest.raises(StoreFull, match="1,000 bytes"):
        repository.add(image_task(600))
    repository.delete(first.id)
    second = image_task(600)
    repository.add(second)  # the first one's bytes were released
    repository.transition(second.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=EPOCH)
    result = TaskResult(b"y" * 300, "image/png")
    repository.transition(second.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=EPOCH, result=result)
    with pytest.raises(StoreFull):
        repository.add(image_task(200))  # 600 + 300 held
    assert repository.purge_finished(before=EPOCH + timedelta(seconds=1)) == 1
    repository.add(image_task(900))  # expiry released input and result


def test_readiness_holds_until_not_even_a_small_task_fits():
    """Issue 25 item 2: a tenant at its share turned /readyz unready (a load balancer would drop
    the instance); only a store that cannot take a small task is not ready."""
    repository = InMemoryTaskRepository(max_tasks=10, max_bytes=FULL_MARGIN_BYTES * 3)
    big = Task.new(kind="code", params={}, owner="a", now=EPOCH, reserved_bytes=FULL_MARGIN_BYTES)
    repository.add(big)
    repository.check()
    repository.add(Task.new(kind="code", params={}, owner="b", now=EPOCH, reserved_bytes=FULL_MARGIN_BYTES))
    with pytest.raises(StoreFull):
        repository.check()


def test_deleting_a_large_task_hands_memory_back_at_once():
    """Issue 25 item 3: freed results stayed with malloc until the next expiry sweep's trim."""
    trims = []
    repository = InMemoryTaskRepository(max_tasks=10, max_bytes=10**9, on_large_delete=lambda: trims.append(1))
    small, large = make_task(), make_task()
    for task in (small, large):
        repository.add(task)
        repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=EPOCH)
    result = TaskResult(b"x" * LARGE_DELETE_BYTES, "application/octet-stream")
    repository.transition(large.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=EPOCH, result=result)
    repository.delete(small.id)
    assert trims == []
    repository.delete(large.id)
    assert trims == [1]
