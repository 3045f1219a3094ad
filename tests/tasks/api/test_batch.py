"""POST /tasks/batch: all or nothing, every error pointed at its task, quotas for the whole batch."""

import pytest

from tests.support import assert_problem

pytestmark = pytest.mark.every_store


def sleep(seconds=0):
    return {"kind": "sleep", "params": {"seconds": seconds}}


def test_a_batch_is_submitted_whole_with_its_ids_in_order(api, wait_status):
    bodies = [sleep(0), {"kind": "code", "params": {"language": "python", "source": "print(1)"}}, sleep(0.1)]
    response = api.post("/tasks/batch", bodies, format="json")
    assert response.status_code == 201, response.content
    ids = response.json()["task_ids"]
    assert len(ids) == 3 and len(set(ids)) == 3
    kinds = [api.get(f"/status/{task_id}").json()["kind"] for task_id in ids]
    assert kinds == ["sleep", "code", "sleep"]
    assert wait_status(ids[0], "ready")["status"] == "ready"


def test_every_invalid_task_is_named_and_nothing_is_submitted(api, issue_key):
    key = issue_key("alice")
    bodies = [sleep(0), {"kind": "sleep", "params": {"seconds": -1}}, {"kind": "nope"}, {"kind": 3}, "text"]
    body = assert_problem(
        api.post("/tasks/batch", bodies, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"), 400, "invalid-batch"
    )
    assert [error["pointer"] for error in body["errors"]] == ["#/3/kind", "#/4"]  # envelopes first
    bodies = [sleep(0), {"kind": "sleep", "params": {"seconds": -1}}, {"kind": "nope"}]
    body = assert_problem(
        api.post("/tasks/batch", bodies, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"), 400, "invalid-batch"
    )
    assert [error["pointer"] for error in body["errors"]] == ["#/1/params/seconds", "#/2/kind"]
    assert body["detail"].startswith("1.params.seconds:")
    assert api.get("/tasks", HTTP_AUTHORIZATION=f"Bearer {key}").json()["results"] == []


@pytest.mark.parametrize("body", [[], {}, [sleep()] * 21, "x"])
def test_a_body_that_is_not_an_array_of_1_to_20_tasks_is_400(api, body):
    assert (
        assert_problem(api.post("/tasks/batch", body, format="json"), 400, "invalid-batch")["errors"][0]["pointer"]
        == "#"
    )


def test_the_in_progress_quota_counts_the_whole_batch(api, issue_key):
    key = issue_key("bob", max_in_progress=3)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert api.post("/task", sleep(30), format="json", **auth).status_code == 201
    refused = api.post("/tasks/batch", [sleep(30)] * 3, format="json", **auth)
    assert assert_problem(refused, 429, "quota-exceeded")["quota"] == "in_progress"
    assert len(api.get("/tasks", **auth).json()["results"]) == 1  # none of the three
    assert api.post("/tasks/batch", [sleep(30)] * 2, format="json", **auth).status_code == 201


@pytest.mark.default_quotas
def test_each_task_of_a_batch_is_a_submission(api, issue_key, settings):
    settings.QUOTA_USER_SUBMISSIONS = 5
    key = issue_key("carol")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    assert api.post("/tasks/batch", [sleep()] * 4, format="json", **auth).status_code == 201
    assert assert_problem(api.post("/tasks/batch", [sleep()] * 2, format="json", **auth), 429)["quota"] == "submissions"


def test_a_batch_with_an_idempotency_key_is_made_once(api):
    first = api.post("/tasks/batch", [sleep(), sleep()], format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    again = api.post("/tasks/batch", [sleep(), sleep()], format="json", HTTP_IDEMPOTENCY_KEY="b-1")
    assert first.status_code == 201 and again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert_problem(api.post("/tasks/batch", [sleep()], format="json", HTTP_IDEMPOTENCY_KEY="b-1"), 422)
