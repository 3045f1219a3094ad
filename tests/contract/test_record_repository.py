"""The contract every store's RecordRepository must pass (conftest: every store of STORES)."""

import threading
import uuid

import pytest

from records.domain import Record
from records.errors import DuplicateRecord


@pytest.fixture
def repository(store_part):
    return store_part("records")


def records(n: int, prefix: str = "r") -> list[Record]:
    return [Record(uuid.uuid4(), f"{prefix}{i}") for i in range(n)]


def test_add_get_and_insertion_order(repository):
    batch = records(5)
    repository.add_all(batch)
    assert repository.get(batch[2].uuid) == batch[2]
    assert repository.oldest(3) == batch[:3]
    assert repository.oldest(0) == []
    assert list(repository.stream()) == batch
    assert repository.count() == 5


def test_batches_are_all_or_nothing(repository):
    first = records(2)
    repository.add_all(first)
    with pytest.raises(DuplicateRecord) as caught:
        repository.add_all([*records(3, "new"), Record(first[1].uuid, "again")])
    assert caught.value.uuid == first[1].uuid
    assert repository.count() == 2


def test_delete_returns_the_record_once(repository):
    batch = records(2)
    repository.add_all(batch)
    assert repository.delete(batch[0].uuid) == batch[0]
    assert repository.delete(batch[0].uuid) is None
    assert list(repository.stream()) == [batch[1]]


def test_concurrent_deletes_of_one_record_exactly_one_wins(repository):
    batch = records(1)
    repository.add_all(batch)
    barrier = threading.Barrier(8)
    results = []

    def delete():
        barrier.wait()
        results.append(repository.delete(batch[0].uuid))

    threads = [threading.Thread(target=delete) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1


def test_stream_handles_more_than_one_chunk(repository):
    batch = records(4500)
    repository.add_all(batch)
    assert [record.uuid for record in repository.stream()] == [record.uuid for record in batch]
