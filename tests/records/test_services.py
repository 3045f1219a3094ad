import uuid

import pytest

from records import services
from records.errors import DuplicateRecord, InvalidCount, InvalidRecords
from stores.memory.records import InMemoryRecordRepository


@pytest.fixture
def repo():
    return InMemoryRecordRepository(max_records=1_000_000)


def test_given_uuids_are_kept_and_missing_ones_generated(repo):
    given = uuid.uuid4()
    saved = services.create_records(items=[{"uuid": str(given), "text": "a"}, {"text": "b"}], repository=repo)
    assert saved[0].uuid == given and saved[1].uuid.version == 4
    assert [record.text for record in repo.stream()] == ["a", "b"]


@pytest.mark.parametrize(
    ("items", "pointers"),
    [
        ({"text": "x"}, ["#"]),
        ([], ["#"]),
        (["x"], ["#/0"]),
        ([{"text": "ok"}, {}], ["#/1/text"]),
        ([{"text": 5}], ["#/0/text"]),
        ([{"text": "ok", "uuid": "nope"}], ["#/0/uuid"]),
        ([{"text": "ok", "uuid": 7}], ["#/0/uuid"]),
        ([{"text": "ok", "uuid": None}], ["#/0/uuid"]),
        ([{"text": "x" * 10_001}], ["#/0/text"]),
        ([{"text": "ok", "colour": "red"}], ["#/0/colour"]),
    ],
)
def test_bad_batches_name_index_and_field(repo, items, pointers):
    with pytest.raises(InvalidRecords) as caught:
        services.create_records(items=items, repository=repo)
    assert [pointer for pointer, _ in caught.value.errors] == pointers
    assert repo.count() == 0


def test_too_many_items(repo, settings):
    settings.RECORDS_MAX_ITEMS = 3
    with pytest.raises(InvalidRecords):
        services.create_records(items=[{"text": "x"}] * 4, repository=repo)


def test_repeat_within_batch_saves_nothing(repo):
    key = str(uuid.uuid4())
    with pytest.raises(DuplicateRecord):
        services.create_records(items=[{"uuid": key, "text": "a"}, {"uuid": key, "text": "b"}], repository=repo)
    assert repo.count() == 0


def test_count_limit(repo, settings):
    settings.RECORDS_MAX_COUNT = 5
    assert services.oldest_records(count=5, repository=repo) == []
    with pytest.raises(InvalidCount):
        services.oldest_records(count=6, repository=repo)


def test_memory_store_refuses_batches_past_its_maximum():
    from records.errors import RecordStoreFull

    repo = InMemoryRecordRepository(max_records=3)
    services.create_records(items=[{"text": "a"}, {"text": "b"}], repository=repo)
    with pytest.raises(RecordStoreFull):
        services.create_records(items=[{"text": "c"}, {"text": "d"}], repository=repo)
    assert repo.count() == 2  # all or nothing
