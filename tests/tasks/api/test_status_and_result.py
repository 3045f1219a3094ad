import json

import pytest

from tasks.domain import TaskResult
from tests.support import assert_problem

pytestmark = pytest.mark.every_store

STATUS_FIELDS = {
    "task_id",
    "kind",
    "status",
    "state",
    "progress",
    "created_at",
    "started_at",
    "finished_at",
    "error",
    "cancel_requested",
    "result",
    "callbacks",
}


def test_status_goes_from_in_progress_to_ready(api, submit, wait_status):
    task_id = submit(seconds=0.3)
    body = api.get(f"/status/{task_id}").json()
    assert set(body) == STATUS_FIELDS
    assert body["status"] == "in_progress" and body["kind"] == "sleep" and body["error"] is None
    ready = wait_status(task_id, "ready")
    assert ready["progress"] == 1.0 and ready["finished_at"] >= ready["started_at"] >= ready["created_at"]
    assert ready["result"]["content_type"] == "application/json"


def test_progress_is_reported_while_running(api, submit):
    from tests.support import wait_for

    task_id = submit(seconds=2)
    body = wait_for(lambda: (b := api.get(f"/status/{task_id}").json())["progress"] > 0 and b, what="progress to move")
    assert body["status"] == "in_progress" and 0 < body["progress"] < 1


def test_result_of_ready_task_is_the_garbage(api, submit, wait_status):
    task_id = submit(seconds=0, size=10)
    wait_status(task_id, "ready")
    response = api.get(f"/result/{task_id}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    envelope = json.loads(response.content)
    assert envelope["task_id"] == task_id and envelope["kind"] == "sleep"
    body = envelope["result"]
    assert len(body["garbage"]) == 20 and int(body["garbage"], 16) >= 0
    assert body["slept_seconds"] == 0


def test_result_not_ready_is_409_with_status(api, submit):
    task_id = submit(seconds=5)
    body = assert_problem(api.get(f"/result/{task_id}"), 409, "result-unavailable")
    assert body["task_status"] == "in_progress"


def test_result_of_failed_task_is_409_with_reason(api, probe_kind, wait_status):
    def explode(context, params):
        raise RuntimeError("the filter broke")

    probe_kind(explode)
    task_id = api.post("/task", {"kind": "probe"}, format="json").json()["task_id"]
    status = wait_status(task_id, "failed")
    assert status["error"] == "RuntimeError: the filter broke"
    body = assert_problem(api.get(f"/result/{task_id}"), 409, "result-unavailable")
    assert body["task_status"] == "failed" and "the filter broke" in body["detail"]


def test_binary_result_is_served_as_bytes(api, probe_kind, wait_status):
    probe_kind(lambda context, params: TaskResult(b"\x89PNG\r\n", "image/png", "edited.png", {"width": 3}))
    task_id = api.post("/task", {"kind": "probe"}, format="json").json()["task_id"]
    status = wait_status(task_id, "ready")
    assert status["result"] == {"content_type": "image/png", "size": 6, "filename": "edited.png", "meta": {"width": 3}}
    response = api.get(f"/result/{task_id}")
    assert response.content == b"\x89PNG\r\n" and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="edited.png"'


def test_unknown_and_malformed_ids_are_404(api):
    for path in ("/status/", "/result/"):
        assert_problem(api.get(path + "0b7e1c56-6f5e-4a5e-9b7e-2b0c8c1b2d3e"), 404, "task-not-found")
        body = assert_problem(api.get(path + "not-a-uuid"), 404, "task-not-found")
        assert "not a task id" in body["detail"]
