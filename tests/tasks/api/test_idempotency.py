"""Idempotency-Key on POST /task (and POST /new, same machinery), on both stores."""

import json
import threading
from datetime import UTC, datetime

import pytest

from tests.support import assert_problem, thread

pytestmark = pytest.mark.every_store

SLEEP = {"kind": "sleep", "params": {"seconds": 5}}


def post(api, body, key, **headers):
    return api.post("/task", body, format="json", HTTP_IDEMPOTENCY_KEY=key, **headers)


def test_a_retry_with_the_key_gets_the_first_task(api):
    first = post(api, SLEEP, "order-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    again = post(api, SLEEP, "order-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["task_id"] == first.json()["task_id"] and again.json()["kind"] == "sleep"
    assert again["Location"] == f"/status/{first.json()['task_id']}"


def test_the_same_key_with_another_body_is_422_and_makes_nothing(api):
    post(api, SLEEP, "order-2")
    other = {"kind": "sleep", "params": {"seconds": 6}}
    assert_problem(post(api, other, "order-2"), 422, "idempotency-key-reused")


def test_equal_bodies_written_differently_are_the_same_request(api):
    first = post(api, {"kind": "sleep", "params": {"seconds": 5, "size": 16}}, "order-3")
    again = api.post(
        "/task",
        json.dumps({"params": {"size": 16, "seconds": 5}, "kind": "sleep"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-3",
    )
    assert again.status_code == 200 and again.json()["task_id"] == first.json()["task_id"]


def test_keys_belong_to_their_caller(api, issue_key):
    alice, bob = issue_key("alice"), issue_key("bob")
    mine = post(api, SLEEP, "same", HTTP_AUTHORIZATION=f"Bearer {alice}")
    theirs = post(api, SLEEP, "same", HTTP_AUTHORIZATION=f"Bearer {bob}")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["task_id"] != theirs.json()["task_id"]


def test_a_refused_submission_leaves_the_key_unused(api):
    assert_problem(post(api, {"kind": "sleep", "params": {"seconds": -1}}, "order-4"), 400, "invalid-params")
    assert post(api, SLEEP, "order-4").status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_bad_key_is_400(api, key):
    assert_problem(post(api, SLEEP, key), 400, "invalid-idempotency-key")


def test_a_retry_after_the_task_was_deleted_is_404(api):
    task_id = post(api, SLEEP, "order-5").json()["task_id"]
    assert api.delete(f"/task/{task_id}").status_code == 204
    assert_problem(post(api, SLEEP, "order-5"), 404, "task-not-found")


def test_concurrent_duplicates_make_exactly_one_task(api):
    from rest_framework.test import APIClient

    answers, barrier = [], threading.Barrier(8)

    def race():
        barrier.wait()
        answers.append(post(APIClient(), SLEEP, "order-6"))

    racers = [thread(race) for _ in range(8)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    created = [answer for answer in answers if answer.status_code == 201]
    assert len(created) == 1
    assert {answer.status_code for answer in answers} <= {200, 201, 409}
    ids = {answer.json()["task_id"] for answer in answers if answer.status_code in (200, 201)}
    assert ids == {created[0].json()["task_id"]}


def test_records_new_replays_the_first_answer_with_its_generated_uuid(api):
    first = api.post("/new", {"text": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="rec-1")
    assert first.status_code == 201
    again = api.post("/new", {"text": "once"}, format="json", HTTP_IDEMPOTENCY_KEY="rec-1")
    assert again.status_code == 200 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert [record["text"] for record in json.loads(b"".join(api.get("/all").streaming_content))] == ["once"]
    other = api.post("/new", [{"text": "twice"}], format="json", HTTP_IDEMPOTENCY_KEY="rec-1")
    assert_problem(other, 422, "idempotency-key-reused")
    assert_problem(api.post("/new", [{"text": "x"}], format="json", HTTP_IDEMPOTENCY_KEY=""), 400)


def test_a_records_key_remembers_uuids_not_texts(api):
    """Issue 25 item 2: a key kept the whole first answer (up to 10 MB of text) for a day, beside
    the caller's share. It keeps the uuids now; a list replays as a list, and a record deleted
    since is a 404 (as for a deleted task)."""
    from idempotency import providers as key_providers
    from idempotency.services import fingerprint

    batch = [{"text": "a" * 5000}, {"text": "b" * 5000}]
    first = api.post("/new", batch, format="json", HTTP_IDEMPOTENCY_KEY="rec-2")
    again = api.post("/new", batch, format="json", HTTP_IDEMPOTENCY_KEY="rec-2")
    assert again.status_code == 200 and again.json() == first.json()
    now, long_ago = datetime.now(UTC), datetime(2000, 1, 1, tzinfo=UTC)
    held = key_providers.key_store().claim(
        "records",
        "anon:127.0.0.1",
        "rec-2",
        fingerprint(batch),
        at=now,
        stale_before=long_ago,
        abandoned_before=long_ago,
    )
    assert held.reference == {"one": False, "uuids": [record["uuid"] for record in first.json()]}
    api.delete(f"/{first.json()[0]['uuid']}")
    assert_problem(api.post("/new", batch, format="json", HTTP_IDEMPOTENCY_KEY="rec-2"), 404, "record-not-found")
