import time
import uuid

import pytest

from tasks import providers
from tests.support import assert_problem, wait_for

pytestmark = pytest.mark.every_store


def test_plain_post_submits_the_demo_task(api):
    response = api.post("/task")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "in_progress"
    assert uuid.UUID(body["task_id"]).version == 4
    assert response["Location"] == f"/status/{body['task_id']}"
    assert api.get(response["Location"]).json()["kind"] == "sleep"


def test_empty_object_or_params_alone_mean_the_demo_task(api):
    assert api.post("/task", {}, format="json").status_code == 201
    response = api.post("/task", {"params": {"seconds": 0.5}}, format="json")
    assert api.get(response["Location"]).json()["kind"] == "sleep"


def test_submit_answers_without_waiting_for_the_work(api):
    started = time.perf_counter()
    response = api.post("/task", {"kind": "sleep", "params": {"seconds": 5}}, format="json")
    assert response.status_code == 201
    assert time.perf_counter() - started < 0.5


def test_params_are_validated_and_named(api):
    body = assert_problem(
        api.post("/task", {"kind": "sleep", "params": {"seconds": 61, "size": 0}}, format="json"),
        400,
        "invalid-params",
    )
    assert {e["pointer"] for e in body["errors"]} == {"#/params/seconds", "#/params/size"}


def test_unknown_kind(api):
    body = assert_problem(api.post("/task", {"kind": "mine-bitcoin"}, format="json"), 400, "unknown-kind")
    assert body["errors"] == [{"pointer": "#/kind", "detail": body["detail"]}]


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "sleep", "paramz": {}},
        {"kind": "sleep", "params": None},
        {"kind": 5},
        {"kind": None},
        {"kind": ""},
        {"kind": "sleep", "params": [1]},
        [1, 2],
        "text",
        7,
    ],
)
def test_malformed_submissions_are_400(api, payload):
    assert_problem(api.post("/task", payload, format="json"), 400)


def test_malformed_json(api):
    assert_problem(api.post("/task", b"{nope", content_type="application/json"), 400, "parse-error")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_wrong_content_type(api, content_type):
    assert_problem(api.post("/task", b"kind=sleep", content_type=content_type), 415, "unsupported-media-type")


def test_body_without_content_type_is_not_silently_ignored(api):
    response = api.generic("POST", "/task", b'{"kind": "nope"}', content_type="")
    assert_problem(response, 415)


def test_body_over_the_limit(api, settings):
    settings.REQUEST_MAX_BYTES = 1024
    payload = {"kind": "sleep", "params": {"seconds": 0, "junk": "x" * 2000}}
    assert_problem(api.post("/task", payload, format="json"), 413, "request-too-large")


def test_full_queue_answers_503_with_retry_after(api, settings):
    settings.TASK_WORKERS = 1
    settings.TASK_QUEUE_SIZE = 1
    long = {"kind": "sleep", "params": {"seconds": 30}}
    running = api.post("/task", long, format="json").json()["task_id"]
    wait_for(lambda: api.get(f"/status/{running}").json()["state"] == "running", what="the worker to start")
    assert api.post("/task", long, format="json").status_code == 201  # waits in the queue
    response = api.post("/task", long, format="json")
    assert_problem(response, 503, "capacity-exhausted")
    assert response["Retry-After"] == str(settings.TASK_RETRY_AFTER_SECONDS)
    assert providers.task_repository().count() == 2  # the refused task is not kept


def test_shutting_down_refuses_new_tasks(api):
    providers.executor().shutdown()
    assert_problem(api.post("/task"), 503, "capacity-exhausted")


@pytest.mark.parametrize("value", [True, "1.5", None, [], {}])
def test_numbers_must_be_json_numbers(api, value):
    body = assert_problem(api.post("/task", {"params": {"seconds": value}}, format="json"), 400, "invalid-params")
    assert body["errors"][0]["pointer"] == "#/params/seconds"
