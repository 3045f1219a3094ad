"""The service as users run it: real gunicorn, the shipped config, HTTP over loopback."""

import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import ROOT, free_port, gunicorn_command, wait_ready

pytestmark = [pytest.mark.e2e, pytest.mark.every_store]


def test_seed_flow_submit_poll_fetch(service):
    http = requests.Session()
    response = http.post(f"{service.url}/task", timeout=5)
    assert response.status_code == 201
    task_id = response.json()["task_id"]
    assert response.headers["Location"] == f"/status/{task_id}"
    assert http.get(f"{service.url}/status/{task_id}", timeout=5).json()["status"] == "in_progress"
    assert http.get(f"{service.url}/result/{task_id}", timeout=5).status_code == 409
    assert wait_ready(http, service.url, task_id)["status"] == "ready"
    result = http.get(f"{service.url}/result/{task_id}", timeout=5)
    assert result.status_code == 200 and len(result.json()["result"]["garbage"]) == 32


def test_errors_are_problem_json_not_html(service):
    for method, path in (("GET", "/nowhere"), ("PUT", "/task"), ("GET", "/status/x"), ("POST", "/task/x/cancel")):
        response = requests.request(method, service.url + path, timeout=5)
        assert 400 <= response.status_code < 500
        assert response.headers["Content-Type"] == "application/problem+json", (method, path)


def test_swagger_ui_and_its_assets_are_served(service):
    page = requests.get(f"{service.url}/api/docs/", timeout=5)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    bundle = requests.get(f"{service.url}/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_concurrent_submissions_from_16_threads(service):
    """500 tasks from 16 threads: ids unique, every task reaches ready, nothing lost."""
    url = service.url

    def submit_batch(count: int) -> list[str]:
        with requests.Session() as http:
            ids = []
            for _ in range(count):
                response = http.post(f"{url}/task", json={"kind": "sleep", "params": {"seconds": 0}}, timeout=10)
                assert response.status_code == 201, response.text
                ids.append(response.json()["task_id"])
            return ids

    batches = [32] * 15 + [20]
    with ThreadPoolExecutor(16) as pool:
        ids = [task_id for batch in pool.map(submit_batch, batches) for task_id in batch]
    assert len(ids) == 500 and len(set(ids)) == 500
    assert all(uuid.UUID(task_id).version == 4 for task_id in ids)

    def final_status(chunk: list[str]) -> list[str]:
        with requests.Session() as http:
            return [wait_ready(http, url, task_id)["status"] for task_id in chunk]

    with ThreadPoolExecutor(16) as pool:
        statuses = [s for chunk in pool.map(final_status, [ids[i::16] for i in range(16)]) for s in chunk]
    assert statuses == ["ready"] * 500


def test_memory_store_refuses_several_workers():
    result = subprocess.run(
        gunicorn_command(),
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PORT": str(free_port()), "WEB_CONCURRENCY": "3", "TASK_STORE": "memory"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "TASK_STORE=memory" in result.stderr and "3 workers" in result.stderr


def test_invalid_setting_refuses_start_with_a_clear_message():
    result = subprocess.run(
        gunicorn_command(),
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PORT": str(free_port()), "TASK_WORKERS": "lots"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "TASK_WORKERS='lots' is not an integer" in result.stderr


def test_graceful_shutdown_settles_running_tasks(gunicorn):
    server = gunicorn(TASK_SHUTDOWN_GRACE_SECONDS="2")
    task_id = requests.post(f"{server.url}/task", json={"params": {"seconds": 30}}, timeout=5).json()["task_id"]
    deadline = time.monotonic() + 10
    while requests.get(f"{server.url}/status/{task_id}", timeout=5).json()["state"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(15) == 0
    assert time.monotonic() - started < 10  # the 30 s task did not hold the shutdown
    assert "task threads stopped" in server.log.read_text()
