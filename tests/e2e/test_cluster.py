"""The distributed deployment: PostgreSQL store, Celery workers, several web processes."""

import base64
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests

from tests.e2e.cluster import submit
from tests.e2e.cluster_db import attempts_by_task
from tests.e2e.conftest import wait_ready
from tests.images import encoded, photo

pytestmark = pytest.mark.e2e


def test_300_mixed_tasks_on_two_web_and_two_celery_workers_each_run_once(cluster):
    web = cluster.start_web(web_workers=2)
    cluster.start_worker("w1")
    cluster.start_worker("w2")
    image = base64.b64encode(encoded(photo(64, 48))).decode()
    bodies = (
        [{"kind": "sleep", "params": {"seconds": 0}}] * 200
        + [{"kind": "image", "params": {"image": image, "filters": [{"op": "grayscale"}]}}] * 50
        + [{"kind": "code", "params": {"language": "python", "source": "print(42)"}}] * 50
    )
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda body: submit(web.url, body), bodies))
    assert len(set(ids)) == 300

    def final(task_id: str) -> dict:
        with requests.Session() as http:
            return wait_ready(http, web.url, task_id, timeout=120)

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(final, ids))
    assert [s["status"] for s in statuses] == ["ready"] * 300
    http = requests.Session()
    code_result = http.get(f"{web.url}/result/{ids[-1]}", timeout=10).json()["result"]
    assert code_result["run"]["stdout"] == "42\n"
    assert http.get(f"{web.url}/result/{ids[200]}", timeout=10).headers["Content-Type"] == "image/png"
    # every task ran exactly once: no crash forced a retry here
    assert set(attempts_by_task(cluster.env["DATABASE_URL"], ids).values()) == {1}


def test_rabbitmq_works_as_the_broker_too(cluster):
    cluster.env["CELERY_BROKER_URL"] = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    web = cluster.start_web(web_workers=1)
    cluster.start_worker("w1")
    assert requests.get(f"{web.url}/readyz", timeout=10).status_code == 200
    ids = [submit(web.url, {"kind": "sleep", "params": {"seconds": 0}}) for _ in range(10)]
    statuses = [wait_ready(requests.Session(), web.url, task_id, timeout=60) for task_id in ids]
    assert [s["status"] for s in statuses] == ["ready"] * 10


def test_cancel_reaches_running_and_queued_tasks_across_processes(cluster):
    web = cluster.start_web(web_workers=2)
    cluster.start_worker("w1")
    running = submit(web.url, {"kind": "sleep", "params": {"seconds": 30}})
    queued = submit(web.url, {"kind": "sleep", "params": {"seconds": 30}})  # behind it: one worker
    deadline = time.monotonic() + 30
    while requests.get(f"{web.url}/status/{running}", timeout=5).json()["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert requests.post(f"{web.url}/task/{queued}/cancel", timeout=5).status_code == 200
    assert requests.post(f"{web.url}/task/{running}/cancel", timeout=5).status_code == 202
    started = time.monotonic()
    assert wait_ready(requests.Session(), web.url, running, timeout=20)["status"] == "cancelled"
    assert time.monotonic() - started < 5  # noticed at the handler's next check, not after 30 s
    final = wait_ready(requests.Session(), web.url, queued, timeout=20)
    assert final["status"] == "cancelled" and final["started_at"] is None


def test_a_wait_is_woken_by_a_finish_in_a_celery_worker(cluster):
    web = cluster.start_web(web_workers=2)
    cluster.start_worker("w1")
    lags = []
    for _ in range(5):
        task_id = submit(web.url, {"kind": "sleep", "params": {"seconds": 0.3}})
        body = requests.get(f"{web.url}/status/{task_id}", params={"wait": "20"}, timeout=30).json()
        answered = time.time()
        assert body["status"] == "ready"
        lags.append(answered - datetime.fromisoformat(body["finished_at"].replace("Z", "+00:00")).timestamp())
    assert statistics.median(lags) < 0.1 and max(lags) < 1.0, lags  # NOTIFY, not a poll loop
    body = {"kind": "sleep", "params": {"seconds": 0.2}}
    response = requests.post(f"{web.url}/task", json=body, headers={"Prefer": "wait=20"}, timeout=30)
    assert response.status_code == 200 and response.json()["status"] == "ready"


def test_webhooks_are_delivered_by_the_celery_workers(cluster):
    from tests.receiver import receiver

    cluster.env |= {"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_RETRY_BASE_SECONDS": "0.2"}
    web = cluster.start_web(web_workers=2)
    cluster.start_worker("w1")
    auth = cluster.api_key("hooked")
    secret = requests.get(f"{web.url}/me", headers=auth, timeout=10).json()["webhook_secret"]
    with receiver(secret=secret, answers=[500]) as hook:
        body = {"kind": "sleep", "params": {"seconds": 0}, "callback_url": hook.url}
        task_id = submit(web.url, body, auth)
        first, second = hook.wait_for(2, timeout=60)
    assert hook.verified(second["headers"], second["raw"]) and second["body"]["data"]["task_id"] == task_id
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    deadline = time.monotonic() + 30
    while len((status := requests.get(f"{web.url}/status/{task_id}", headers=auth, timeout=5).json())["callbacks"]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert [attempt["outcome"] for attempt in status["callbacks"]] == ["retrying", "delivered"]


def test_metrics_count_what_the_celery_workers_did(cluster):
    from prometheus_client.parser import text_string_to_metric_families

    cluster.env["METRICS_TOKEN"] = "cluster-metrics"
    web = cluster.start_web(web_workers=2)
    cluster.start_worker("w1")
    ids = [submit(web.url, {"kind": "sleep", "params": {"seconds": 0}}) for _ in range(3)]
    for task_id in ids:
        assert wait_ready(requests.Session(), web.url, task_id)["status"] == "ready"
    text = requests.get(f"{web.url}/metrics", headers={"Authorization": "Bearer cluster-metrics"}, timeout=10).text
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples[("taskservice_tasks_submitted_total", (("kind", "sleep"),))] == 3  # two web processes
    assert samples[("taskservice_tasks_finished_total", (("kind", "sleep"), ("outcome", "ready")))] == 3  # a worker
    assert samples[("taskservice_tasks_in_progress", ())] == 0
