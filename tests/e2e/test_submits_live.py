"""Idempotent and batch submits on real gunicorn, on the memory store (threads of one worker)
and on PostgreSQL across 2 worker processes: concurrent duplicates make one task, a batch goes
in whole and runs."""

import base64
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import LiveServer, start_gunicorn
from tests.images import encoded, photo


@pytest.fixture(scope="module", params=["memory", "postgres"])
def server(request, tmp_path_factory) -> Iterator[LiveServer]:
    from tests.e2e.cluster import drop_database, fresh_database

    env = {"TASK_STORE": request.param, "SLEEP_MAX_SECONDS": "60"}
    database = f"taskservice_e2e_idem_{os.getpid()}"
    if request.param == "postgres":
        env |= {"DATABASE_URL": fresh_database(database), "WEB_CONCURRENCY": "2"}
    live = start_gunicorn(tmp_path_factory.mktemp("idem") / "gunicorn.log", env)
    yield live
    live.stop()
    if request.param == "postgres":
        drop_database(database)


def test_concurrent_duplicates_make_exactly_one_task(server):
    key = str(uuid.uuid4())
    body = {"kind": "sleep", "params": {"seconds": 30}}

    def post(_: int) -> requests.Response:
        return requests.post(f"{server.url}/task", json=body, headers={"Idempotency-Key": key}, timeout=30)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(post, range(32)))
    codes = [answer.status_code for answer in answers]
    assert codes.count(201) == 1 and set(codes) <= {200, 201, 409}, codes
    ids = {answer.json()["task_id"] for answer in answers if answer.status_code in (200, 201)}
    assert len(ids) == 1
    again = post(0)
    assert (
        again.status_code == 200 and again.json()["task_id"] in ids and again.headers["Idempotent-Replayed"] == "true"
    )
    [task_id] = ids
    assert requests.post(f"{server.url}/task/{task_id}/cancel", timeout=10).ok


def test_records_new_with_a_key_saves_once(server):
    key = str(uuid.uuid4())

    def post(_: int) -> requests.Response:
        return requests.post(f"{server.url}/new", json=[{"text": key}], headers={"Idempotency-Key": key}, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(16)))
    assert [answer.status_code for answer in answers].count(201) == 1
    saved = [record for record in requests.get(f"{server.url}/all", timeout=30).json() if record["text"] == key]
    assert len(saved) == 1


def test_a_batch_goes_in_whole_and_every_task_runs(server):
    image = base64.b64encode(encoded(photo(32, 24))).decode()
    bodies = [
        {"kind": "sleep", "params": {"seconds": 0.1}},
        {"kind": "image", "params": {"image": image, "filters": [{"op": "grayscale"}]}},
        {"tranlator": "python3", "code": "print(6 * 7)"},
    ]
    response = requests.post(f"{server.url}/tasks/batch", json=bodies, timeout=30)
    assert response.status_code == 201, response.text
    finals = [
        requests.get(f"{server.url}/status/{task_id}", params={"wait": "30"}, timeout=60).json()
        for task_id in response.json()["task_ids"]
    ]
    assert [(final["kind"], final["status"]) for final in finals] == [
        ("sleep", "ready"),
        ("image", "ready"),
        ("code", "ready"),
    ]
    refused = requests.post(f"{server.url}/tasks/batch", json=[bodies[0], {"kind": "nope"}], timeout=30)
    assert refused.status_code == 400 and refused.json()["errors"][0]["pointer"] == "#/1/kind"
