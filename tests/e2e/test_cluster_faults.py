"""The distributed deployment under faults: a Celery worker, a web process, the broker or
PostgreSQL fails, and no accepted task is lost or run twice."""

import time

import pytest
import requests

from tests.e2e.cluster import BROKER, Cluster, PersistentRedis, PrivatePostgres, cluster_env, submit, wait_running
from tests.e2e.cluster_db import attempts_by_task, undispatched_ids
from tests.e2e.conftest import free_port, start_gunicorn, wait_ready

pytestmark = pytest.mark.e2e


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
