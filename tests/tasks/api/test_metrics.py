"""GET /metrics: Prometheus text, counting what the service does; guarded by METRICS_TOKEN."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support import assert_problem

pytestmark = pytest.mark.every_store

TOKEN = "metrics-s3cret"


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(api, **headers) -> dict[tuple[str, tuple], float]:
    response = api.get("/metrics", **{"HTTP_AUTHORIZATION": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_task_is_counted_from_submit_to_finish(api, submit, wait_status):
    before = scrape(api)
    task_id = submit(seconds=0.05)
    wait_status(task_id, "ready")
    api.get(f"/status/{task_id}")
    after = scrape(api)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("taskservice_tasks_submitted_total", kind="sleep") == 1
    assert grew("taskservice_tasks_finished_total", kind="sleep", outcome="ready") == 1
    assert grew("taskservice_task_run_seconds_count", kind="sleep") == 1
    assert grew("taskservice_task_run_seconds_bucket", kind="sleep", le="0.025") == 0  # it slept 0.05 s
    assert grew("taskservice_task_queue_wait_seconds_count", kind="sleep") == 1
    assert grew("taskservice_http_requests_total", route="task", method="POST", status="201") == 1
    assert grew("taskservice_http_requests_total", route="status/<str:task_id>", method="GET", status="200") >= 2
    assert value(after, "taskservice_store_tasks") >= 1 and value(after, "taskservice_store_bytes") > 0
    assert "taskservice_tasks_in_progress" in {name for name, _ in after}


def test_routes_not_paths_are_labels(api):
    api.get("/status/not-a-uuid-at-all")
    api.get("/no/such/place/12345")
    names = {dict(labels).get("route") for name, labels in scrape(api) if name == "taskservice_http_requests_total"}
    assert "unmatched" in names and not any("12345" in (route or "") for route in names)


@pytest.mark.default_quotas
def test_quota_refusals_are_counted_by_quota(api, settings):
    settings.QUOTA_ANON_IN_PROGRESS = 1
    before = scrape(api)
    api.post("/task", {"kind": "sleep", "params": {"seconds": 5}}, format="json")
    assert api.post("/task", {"kind": "sleep", "params": {"seconds": 5}}, format="json").status_code == 429
    after = scrape(api)
    grew = value(after, "taskservice_quota_refusals_total", quota="in_progress")
    assert grew - value(before, "taskservice_quota_refusals_total", quota="in_progress") == 1


def test_a_metrics_token_guards_the_endpoint(api, settings):
    assert_problem(api.get("/metrics"), 401, "metrics-token-required")
    assert_problem(api.get("/metrics", HTTP_AUTHORIZATION="Bearer nope"), 401)
    assert scrape(api)


def test_without_a_token_set_nobody_scrapes(api, settings):
    """Issue 25 item 7: /metrics was open to anyone on the public port by default."""
    settings.METRICS_TOKEN = ""
    assert_problem(api.get("/metrics"), 401, "metrics-token-required")
    assert_problem(api.get("/metrics", HTTP_AUTHORIZATION="Bearer "), 401)
