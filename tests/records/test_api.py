"""The records API through DRF's test client, on both stores; exact paths from the spec."""

import json
import uuid

import pytest
from rest_framework.test import APIClient

from tests.support import assert_problem

pytestmark = pytest.mark.every_store

EXAMPLE = [
    {"uuid": "e48d41d0-6e53-490a-9d9a-fd4337f28038", "text": "test example"},
    {"uuid": "eddd8cd7-1128-4b83-98d4-7cde1514625e", "text": "another example"},
]


@pytest.fixture(autouse=True)
def store(any_store):
    return any_store


@pytest.fixture
def api():
    return APIClient()


def test_spec_example_round_trip(api):
    response = api.post("/new", EXAMPLE, format="json")
    assert response.status_code == 201 and response.json() == EXAMPLE
    assert api.get("/e48d41d0-6e53-490a-9d9a-fd4337f28038").json() == EXAMPLE[0]
    assert json.loads(b"".join(api.get("/all").streaming_content)) == EXAMPLE
    assert api.get("/1").json() == EXAMPLE[:1]
    assert api.get("/0").json() == []
    deleted = api.delete("/eddd8cd7-1128-4b83-98d4-7cde1514625e")
    assert deleted.status_code == 200 and deleted.json() == EXAMPLE[1]
    assert_problem(api.delete("/eddd8cd7-1128-4b83-98d4-7cde1514625e"), 404, "record-not-found")
    assert_problem(api.get("/eddd8cd7-1128-4b83-98d4-7cde1514625e"), 404, "record-not-found")


def test_duplicate_is_409_naming_it_and_saves_nothing(api):
    api.post("/new", EXAMPLE[:1], format="json")
    body = assert_problem(api.post("/new", [{"text": "fresh"}, EXAMPLE[0]], format="json"), 409, "duplicate-record")
    assert body["uuid"] == EXAMPLE[0]["uuid"]
    assert len(json.loads(b"".join(api.get("/all").streaming_content))) == 1


def test_bad_bodies_are_400_naming_index_and_field(api):
    body = assert_problem(api.post("/new", [{"text": "ok"}, {"uuid": "x", "text": 1}], format="json"), 400)
    assert [e["pointer"] for e in body["errors"]] == ["#/1/text", "#/1/uuid"]
    assert_problem(api.post("/new", [], format="json"), 400, "invalid-records")
    single = assert_problem(api.post("/new", {"uuid": "x", "text": 1}, format="json"), 400, "invalid-records")
    assert [e["pointer"] for e in single["errors"]] == ["#/text", "#/uuid"]
    assert_problem(api.post("/new", "just text", format="json"), 400, "invalid-records")
    assert_problem(api.post("/new", b"[{", content_type="application/json"), 400, "parse-error")


def test_one_object_in_is_one_record_out_with_a_generated_uuid(api):
    """Issue 13: the seed author's client posts `{"text": ...}` alone, one per request."""
    response = api.post("/new", {"text": "a1b2c3d4e5f6g7h8"}, format="json")
    assert response.status_code == 201
    record = response.json()
    assert record["text"] == "a1b2c3d4e5f6g7h8" and uuid.UUID(record["uuid"])
    assert api.get(f"/{record['uuid']}").json() == record
    assert api.get("/10").json() == [record]
    assert api.delete(f"/{record['uuid']}").status_code == 200


def test_one_object_with_its_own_uuid_keeps_it(api):
    response = api.post("/new", EXAMPLE[0], format="json")
    assert response.status_code == 201 and response.json() == EXAMPLE[0]
    assert_problem(api.post("/new", EXAMPLE[0], format="json"), 409, "duplicate-record")


def test_count_over_the_maximum_and_paths_that_are_neither(api, settings):
    settings.RECORDS_MAX_COUNT = 10
    assert_problem(api.get("/11"), 400, "invalid-count")
    for path in ("/-1", "/1.5", "/abc", "/e48d41d0"):
        assert_problem(api.get(path), 404, "not-found")
    assert_problem(api.delete("/5"), 404, "not-found")


def test_all_streams_insertion_order(api):
    batches = [[{"text": f"{b}-{i}"} for i in range(300)] for b in range(5)]
    for batch in batches:
        assert api.post("/new", batch, format="json").status_code == 201
    response = api.get("/all")
    assert response.streaming and response["Content-Type"] == "application/json"
    texts = [record["text"] for record in json.loads(b"".join(response.streaming_content))]
    assert texts == [item["text"] for batch in batches for item in batch]
    oldest = api.get("/3").json()
    assert [record["text"] for record in oldest] == ["0-0", "0-1", "0-2"]  # was all(...): true of an empty list
