"""The distributed deployment: PostgreSQL store, Celery workers, several web processes."""

import base64
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests

from tests.e2e.cluster import Cluster, PersistentRedis, PrivatePostgres, cluster_env, drop_database, fresh_database
from tests.e2e.cluster_db import attempts_by_task, undispatched_ids
from tests.e2e.conftest import free_port, start_gunicorn, wait_ready
from tests.images import encoded, photo

pytestmark = pytest.mark.e2e

BROKER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def cluster(tmp_path):
    name = f"taskservice_e2e_{os.getpid()}"
    env = cluster_env(
        fresh_database(name),
        BROKER,
        TASK_LOST_AFTER_SECONDS="3",
        TASK_HEARTBEAT_SECONDS="0.5",
        TASK_REAP_SECONDS="1",
        CELERY_VISIBILITY_TIMEOUT="10",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    deployment = Cluster(env, tmp_path)
    yield deployment
    deployment.stop()
    drop_database(name)


def submit(url: str, body: dict, headers: dict[str, str] | None = None) -> str:
    response = requests.post(f"{url}/task", json=body, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["task_id"]


def wait_running(url: str, task_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while requests.get(f"{url}/status/{task_id}", timeout=5).json()["state"] != "running":
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.1)


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


def test_sigkilled_worker_mid_task_the_task_still_finishes(cluster):
    web = cluster.start_web(web_workers=1)
    cluster.start_worker("doomed")
    cluster.start_beat()
    task_id = submit(web.url, {"kind": "sleep", "params": {"seconds": 4}})
    wait_running(web.url, task_id)
    cluster.kill("doomed")
    cluster.start_worker("survivor")
    started = time.monotonic()
    status = wait_ready(requests.Session(), web.url, task_id, timeout=60)
    assert status["status"] == "ready", status
    assert time.monotonic() - started < 30  # lost after 3 s, reaped within 1 s, 4 s of work
    assert attempts_by_task(cluster.env["DATABASE_URL"], [task_id]) == {task_id: 2}


def test_a_web_process_killed_between_commit_and_publish_orphans_nothing(cluster):
    """Issue 15: the task stayed queued forever, holding its owner's in-progress quota."""
    cluster.env.update(TASK_REDISPATCH_AFTER_SECONDS="1", QUOTA_ANON_IN_PROGRESS="1")
    cluster.start_worker("w1")
    doomed = start_gunicorn(cluster.logs / "doomed-web.log", {**cluster.env, "TASK_FAULTS": "after-commit:kill"})
    try:
        with pytest.raises(requests.ConnectionError):  # the worker died mid-request
            requests.post(f"{doomed.url}/task", json={"kind": "sleep", "params": {"seconds": 0}}, timeout=30)
    finally:
        doomed.stop()
    [orphan] = undispatched_ids(cluster.env["DATABASE_URL"])  # committed, never published
    cluster.start_beat()  # only now: it would have sent the orphan before this test could see it
    web = cluster.start_web(web_workers=1)
    assert wait_ready(requests.Session(), web.url, orphan, timeout=60)["status"] == "ready"
    assert attempts_by_task(cluster.env["DATABASE_URL"], [orphan]) == {orphan: 1}  # once
    submit(web.url, {"kind": "sleep", "params": {"seconds": 0}})  # the address's one slot is free again


def test_a_requeue_failing_half_way_still_finishes_the_task_once_more(cluster):
    """Issue 15: `reap_lost_tasks` re-queued a lost task, then failed before the publish."""
    cluster.env["TASK_REDISPATCH_AFTER_SECONDS"] = "1"
    web = cluster.start_web(web_workers=1)
    cluster.start_worker("doomed")
    cluster.start_beat()
    task_id = submit(web.url, {"kind": "sleep", "params": {"seconds": 3}})
    wait_running(web.url, task_id)
    cluster.kill("doomed")
    cluster.env["TASK_FAULTS"] = "after-requeue:raise"  # the survivor's reaper fails every time
    cluster.start_worker("survivor")
    assert wait_ready(requests.Session(), web.url, task_id, timeout=90)["status"] == "ready"
    assert attempts_by_task(cluster.env["DATABASE_URL"], [task_id]) == {task_id: 2}
    assert "fault injected at after-requeue" in (cluster.logs / "survivor.log").read_text()


def test_readiness_names_the_broker_when_it_is_down(cluster):
    cluster.env["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    web = cluster.start_web(web_workers=1)
    response = requests.get(f"{web.url}/readyz", timeout=15)
    assert response.status_code == 503
    assert "broker" in response.json()["checks"]["dispatcher"]
    alice = cluster.api_key("alice")
    refused = requests.post(f"{web.url}/task", json={}, headers=alice, timeout=15)
    assert refused.status_code == 503 and "broker" in refused.json()["detail"]
    listed = requests.get(f"{web.url}/tasks", headers=alice, timeout=10).json()["results"]
    assert listed == []  # nothing half-accepted was kept


def test_restarting_the_web_tier_loses_nothing(cluster):
    web = cluster.start_web(web_workers=2)
    cluster.start_worker("w1")
    ids = [submit(web.url, {"kind": "sleep", "params": {"seconds": 0.2}}) for _ in range(10)]
    web.stop(graceful=True)
    web = cluster.start_web(web_workers=2)
    statuses = [wait_ready(requests.Session(), web.url, task_id, timeout=60) for task_id in ids]
    assert [s["status"] for s in statuses] == ["ready"] * 10


def test_broker_outage_refuses_new_work_and_loses_none_accepted(cluster, tmp_path):
    port = free_port()
    broker = PersistentRedis(tmp_path / "redis", port)
    broker.start()
    try:
        cluster.env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
        web = cluster.start_web(web_workers=1)
        cluster.start_worker("w1")
        alice = cluster.api_key("alice")
        accepted = [submit(web.url, {"kind": "sleep", "params": {"seconds": 0.3}}, alice) for _ in range(15)]
        broker.stop()  # most of those are still waiting in the broker's queue
        refused = requests.post(f"{web.url}/task", json={}, headers=alice, timeout=30)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert "broker" in refused.json()["detail"]
        broker.start()
        session = requests.Session()
        session.headers.update(alice)
        statuses = [wait_ready(session, web.url, task_id, timeout=90) for task_id in accepted]
        assert [s["status"] for s in statuses] == ["ready"] * 15
        listed = requests.get(f"{web.url}/tasks?limit=100", headers=alice, timeout=10).json()["results"]
        assert {task["task_id"] for task in listed} == set(accepted)  # the refused one was not kept
    finally:
        broker.stop()


def test_rabbitmq_works_as_the_broker_too(cluster):
    cluster.env["CELERY_BROKER_URL"] = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
    web = cluster.start_web(web_workers=1)
    cluster.start_worker("w1")
    assert requests.get(f"{web.url}/readyz", timeout=10).status_code == 200
    ids = [submit(web.url, {"kind": "sleep", "params": {"seconds": 0}}) for _ in range(10)]
    statuses = [wait_ready(requests.Session(), web.url, task_id, timeout=60) for task_id in ids]
    assert [s["status"] for s in statuses] == ["ready"] * 10


def test_postgres_restart_is_survived_without_manual_action(tmp_path):
    database = PrivatePostgres(free_port())
    try:
        database.start()
        database.create_database()
        deployment = Cluster(cluster_env(database.url, BROKER), tmp_path)
        deployment.migrate()
        web = deployment.start_web(web_workers=1)
        deployment.start_worker("w1")
        before = [submit(web.url, {"kind": "sleep", "params": {"seconds": 0.2}}) for _ in range(5)]
        database.restart()
        # A request that meets the restart gets a clear 503 (never a 500); the service heals itself.
        deadline = time.monotonic() + 30
        while (response := requests.post(f"{web.url}/task", json={}, timeout=10)).status_code != 201:
            assert response.status_code == 503, response.text
            assert time.monotonic() < deadline, "the service did not recover from the database restart"
            time.sleep(0.5)
        after = response.json()["task_id"]
        statuses = [wait_ready(requests.Session(), web.url, task_id, timeout=60) for task_id in [*before, after]]
        assert [s["status"] for s in statuses] == ["ready"] * 6
        deployment.stop()
    finally:
        database.destroy()


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
