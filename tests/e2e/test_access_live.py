"""Access and quotas on real gunicorn processes: quotas hold across two workers (Redis counts the
rate, PostgreSQL the tasks in progress), and the embedded default issues and checks keys."""

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from tests.e2e.cluster import drop_database, fresh_database
from tests.e2e.conftest import embedded_database, manage
from tests.support import wait_for

pytestmark = pytest.mark.e2e

CACHE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LONG = {"kind": "sleep", "params": {"seconds": 20}}
QUICK = {"kind": "sleep", "params": {"seconds": 0}}


def worker_pids(server) -> set[int]:
    children = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True).stdout
    return {int(pid) for pid in children.split()}


@pytest.fixture
def two_workers(gunicorn):
    """Two gunicorn workers sharing a fresh PostgreSQL store and a flushed Redis cache."""
    redis.Redis.from_url(CACHE).flushdb()
    name = f"taskservice_e2e_access_{os.getpid()}"
    env = {"TASK_STORE": "postgres", "DATABASE_URL": fresh_database(name), "CACHE_URL": CACHE, "WEB_CONCURRENCY": "2"}

    def start(**quotas: str):
        server = gunicorn(**env, **quotas)
        assert len(worker_pids(server)) == 2
        return server

    yield start
    drop_database(name)


def burst(url: str, body: dict, count: int, headers: dict | None = None) -> list[requests.Response]:
    """`count` submissions at once, each on its own connection (so both workers take some)."""
    with ThreadPoolExecutor(count) as pool:
        return list(
            pool.map(lambda _: requests.post(f"{url}/task", json=body, headers=headers, timeout=10), range(count))
        )


def test_the_rate_quota_holds_across_two_workers_and_recovers(two_workers):
    server = two_workers(QUOTA_ANON_SUBMISSIONS="5", QUOTA_ANON_IN_PROGRESS="1000", QUOTA_WINDOW_SECONDS="4")
    # Start just after a window opens, so the whole burst falls in one window.
    time.sleep(4 - time.time() % 4 + 0.05)
    responses = burst(server.url, QUICK, 20)
    codes = sorted(response.status_code for response in responses)
    assert codes == [201] * 5 + [429] * 15
    refused = next(response for response in responses if response.status_code == 429)
    assert refused.json()["quota"] == "submissions" and 1 <= int(refused.headers["Retry-After"]) <= 4
    time.sleep(int(refused.headers["Retry-After"]))
    assert requests.post(f"{server.url}/task", json=QUICK, timeout=10).status_code == 201


def test_the_in_progress_quota_holds_across_two_workers(two_workers):
    server = two_workers(QUOTA_ANON_IN_PROGRESS="3", QUOTA_ANON_SUBMISSIONS="1000")
    responses = burst(server.url, LONG, 12)
    accepted = [response.json()["task_id"] for response in responses if response.status_code == 201]
    assert len(accepted) == 3
    assert all(r.json()["quota"] == "in_progress" for r in responses if r.status_code != 201)
    requests.delete(f"{server.url}/task/{accepted[0]}", timeout=10)
    assert requests.post(f"{server.url}/task", json=LONG, timeout=10).status_code == 201


def test_keys_on_the_embedded_default_with_anonymous_use_off(gunicorn):
    server = gunicorn(ALLOW_ANONYMOUS="0", migrated=False)
    data = embedded_database(server)  # SQLite, migrated by gunicorn on start
    refused = requests.post(f"{server.url}/task", json=QUICK, timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == 'Bearer realm="taskservice"'
    key = manage("create_api_key", "alice", "--create-user", env=data).strip()
    auth = {"Authorization": f"Bearer {key}"}
    created = requests.post(f"{server.url}/task", json=QUICK, headers=auth, timeout=10)
    assert created.status_code == 201
    assert requests.get(f"{server.url}/me", headers=auth, timeout=10).json()["username"] == "alice"
    manage("revoke_api_key", key, env=data)  # another process: the server learns within API_KEY_CACHE_SECONDS
    wait_for(lambda: requests.get(f"{server.url}/me", headers=auth, timeout=10).status_code == 401, timeout=7)
