import pytest

from tests.support import assert_problem, wait_for

pytestmark = pytest.mark.every_store


@pytest.fixture
def api(client_with_key, issue_key):
    """Listing needs a key (anonymous tasks are never listed): these tests are one user's."""
    return client_with_key(issue_key())


def test_list_is_newest_first_and_paginated(api, submit):
    ids = [submit(seconds=0) for _ in range(5)]
    seen, url = [], "/tasks?limit=2"
    while url:
        page = api.get(url).json()
        assert len(page["results"]) <= 2
        seen += [task["task_id"] for task in page["results"]]
        url = page["next"]
    assert seen == list(reversed(ids))


def test_list_filters_by_status_and_kind(api, submit, wait_status):
    done = submit(seconds=0)
    wait_status(done, "ready")
    assert [t["task_id"] for t in api.get("/tasks?status=ready").json()["results"]] == [done]
    assert api.get("/tasks?kind=other").json()["results"] == []


def test_list_rejects_bad_queries(api):
    for query in ("status=done", "status=", "limit=0", "limit=101", "limit=x", "cursor=nonsense", "colour=red"):
        assert_problem(api.get(f"/tasks?{query}"), 400)


def test_cancel_running_task(api, submit, wait_status):
    task_id = submit(seconds=10)
    wait_for(lambda: api.get(f"/status/{task_id}").json()["state"] == "running", what="the task to start")
    response = api.post(f"/task/{task_id}/cancel")
    assert response.status_code == 202 and response.json()["cancel_requested"] is True
    assert wait_status(task_id, "cancelled", timeout=3)["finished_at"]


def test_cancel_queued_task_never_starts(api, submit, settings):
    settings.TASK_WORKERS = 1
    blocker = submit(seconds=10)
    queued = submit(seconds=0)
    response = api.post(f"/task/{queued}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert response.json()["started_at"] is None
    api.post(f"/task/{blocker}/cancel")
    wait_for(lambda: api.get(f"/status/{blocker}").json()["status"] == "cancelled", what="blocker to stop")
    assert api.get(f"/status/{queued}").json()["started_at"] is None


def test_cancel_finished_task_is_409(api, submit, wait_status):
    task_id = submit(seconds=0)
    wait_status(task_id, "ready")
    body = assert_problem(api.post(f"/task/{task_id}/cancel"), 409, "task-finished")
    assert body["task_status"] == "ready"


def test_delete_removes_the_task(api, submit):
    task_id = submit(seconds=10)
    assert api.delete(f"/task/{task_id}").status_code == 204
    assert_problem(api.get(f"/status/{task_id}"), 404)
    assert_problem(api.get(f"/result/{task_id}"), 404)
    assert_problem(api.delete(f"/task/{task_id}"), 404)


def test_cancel_and_delete_unknown_ids(api):
    assert_problem(api.post("/task/0b7e1c56-6f5e-4a5e-9b7e-2b0c8c1b2d3e/cancel"), 404)
    assert_problem(api.delete("/task/garbage"), 404)
