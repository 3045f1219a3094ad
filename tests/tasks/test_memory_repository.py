"""What only the in-memory store promises: a hard cap on how many tasks it holds."""

import pytest

from tasks.errors import StoreFull
from tasks.repositories.memory import InMemoryTaskRepository
from tests.support import make_task


def test_store_refuses_tasks_past_its_maximum():
    repository = InMemoryTaskRepository(max_tasks=3)
    for _ in range(3):
        repository.add(make_task())
    with pytest.raises(StoreFull):
        repository.add(make_task())
    assert repository.count() == 3
