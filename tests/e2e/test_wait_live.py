"""Waiting instead of polling, on real gunicorn with each store: promptness, the waiter bound,
other requests served beside a full house of waiters, and a graceful stop that frees them. The
PostgreSQL server runs 2 workers, so a waiter is often woken by a finish in the other process;
the full house is one worker's (the kernel spreads connections over workers unevenly)."""

import os
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests

from tests.e2e.conftest import LiveServer, start_gunicorn

pytestmark = pytest.mark.every_store

WAITERS = 6


@pytest.fixture(params=["memory", "postgres"])
def serve(request, tmp_path) -> Iterator:
    """Factory: gunicorn on the store, with `workers` processes (PostgreSQL only: memory is one)."""
    from tests.e2e.cluster import drop_database, fresh_database

    database, servers = f"taskservice_e2e_wait_{os.getpid()}", []
    env = {
        "TASK_STORE": request.param,
        "SLEEP_MAX_SECONDS": "60",
        "TASK_MAX_WAITERS": str(WAITERS),
        "TASK_MAX_WAITERS_PER_OWNER": "100",
        "GUNICORN_THREADS": "4",
    }
    if request.param == "postgres":
        env["DATABASE_URL"] = fresh_database(database)

    def start(workers: int = 2) -> LiveServer:
        count = workers if request.param == "postgres" else 1
        servers.append(start_gunicorn(tmp_path / "gunicorn.log", {**env, "WEB_CONCURRENCY": str(count)}))
        return servers[-1]

    yield start
    for live in servers:
        live.stop()
    if request.param == "postgres":
        drop_database(database)


@pytest.fixture
def server(serve) -> LiveServer:
    return serve()


def submit(url: str, seconds: float) -> str:
    response = requests.post(f"{url}/task", json={"kind": "sleep", "params": {"seconds": seconds}}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["task_id"]


def _finished_at(body: dict) -> float:
    return datetime.fromisoformat(body["finished_at"].replace("Z", "+00:00")).timestamp()


def test_a_wait_answers_within_100_ms_of_the_finish(server):
    lags = []
    for _ in range(5):
        task_id = submit(server.url, 0.3)
        body = requests.get(f"{server.url}/status/{task_id}", params={"wait": "10"}, timeout=30).json()
        answered = time.time()
        assert body["status"] == "ready"
        lags.append(answered - _finished_at(body))
    assert statistics.median(lags) < 0.1 and max(lags) < 1.0, lags


def test_a_full_house_of_waiters_leaves_the_service_serving_and_refuses_one_more(serve):
    url = serve(workers=1).url
    tasks = [submit(url, 60) for _ in range(WAITERS)]
    answers: list[dict] = []

    def wait(task_id: str) -> None:
        answers.append(requests.get(f"{url}/status/{task_id}", params={"wait": "30"}, timeout=60).json())

    waiters = [threading.Thread(target=wait, args=(task_id,)) for task_id in tasks]
    for waiter in waiters:
        waiter.start()
    time.sleep(1.0)  # every waiter is in (a slow one only makes the 429 below less likely to be seen)
    started = time.monotonic()
    for _ in range(10):
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
        assert requests.get(f"{url}/status/{tasks[0]}", timeout=10).json()["status"] == "in_progress"
        assert requests.post(f"{url}/task", json={"kind": "sleep", "params": {"seconds": 0}}, timeout=10).ok
    assert time.monotonic() - started < 10  # served beside the waiters, not after them
    refused = [requests.get(f"{url}/status/{tasks[0]}", params={"wait": "5"}, timeout=30) for _ in range(4)]
    assert 429 in [response.status_code for response in refused]
    assert all(r.headers.get("Retry-After") == "1" for r in refused if r.status_code == 429)
    for task_id in tasks:
        assert requests.post(f"{url}/task/{task_id}/cancel", timeout=10).ok
    for waiter in waiters:
        waiter.join(20)
    assert sorted(body["status"] for body in answers) == ["cancelled"] * WAITERS


def test_a_graceful_stop_answers_the_waiters_at_once(server):
    task_id = submit(server.url, 60)
    answers: list[int] = []

    def wait() -> None:
        answers.append(requests.get(f"{server.url}/status/{task_id}", params={"wait": "30"}, timeout=60).status_code)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.5)
    started = time.monotonic()
    server.stop(graceful=True)
    waiter.join(20)
    assert answers == [200] and time.monotonic() - started < 10


def test_prefer_wait_gives_the_final_status_in_one_request(server):
    body = {"kind": "sleep", "params": {"seconds": 0.2}}
    response = requests.post(f"{server.url}/task", json=body, headers={"Prefer": "wait=10"}, timeout=30)
    assert response.status_code == 200 and response.json()["status"] == "ready"
    assert response.headers["Preference-Applied"] == "wait=10"
