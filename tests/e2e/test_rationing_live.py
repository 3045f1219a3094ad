"""Issue 12, rationing: what one caller can take from the others, against a real gunicorn.

Two anonymous callers are told apart by address: 127.0.0.1 and 127.0.0.2 (both loopback).
"""

import base64
import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024


def request_from(address: str, url: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """One request whose source address is `address` (an anonymous caller of its own)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=(address, 0))
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def printing(megabytes: int, byte: str = "y") -> dict:
    source = f"import sys\nsys.stdout.buffer.write({byte!r}.encode('latin-1') * {megabytes * MIB})"
    return {"kind": "code", "params": {"language": "python", "source": source, "limits": {"output_kb": 1024}}}


def finish(url: str, task_id: str) -> dict:
    return wait_ready(requests.Session(), url, task_id, timeout=60)


def test_invalid_utf_8_output_is_stored_compactly(gunicorn):
    """Item 9: 0xff bytes were stored as U+FFFD escapes, about 6x the output limit."""
    server = gunicorn()
    response = requests.post(f"{server.url}/task", json=printing(1, "\xff"), timeout=10)
    assert finish(server.url, response.json()["task_id"])["status"] == "ready"
    result = requests.get(f"{server.url}/result/{response.json()['task_id']}", timeout=10)
    assert len(result.content) < 1.4 * MIB  # base64: 4/3 of the megabyte, plus the report
    run = result.json()["result"]["run"]
    assert run["stdout_encoding"] == "base64" and base64.b64decode(run["stdout"]) == b"\xff" * MIB


def test_one_caller_cannot_fill_the_store_for_everyone(gunicorn):
    """Issue 12 item 9: ten callers' results filled the store's byte budget: 503 for all, for 24
    hours. Issue 25 item 2: a caller's results then grew past the share checked at submit. Each
    submit now reserves its worst case (2 x 4/3 x 1 MiB here) and the result takes its place."""
    server = gunicorn(TASK_MAX_STORED_BYTES=str(12 * MIB), QUOTA_ANON_STORED_BYTES=str(6 * MIB))
    statuses = []
    for _ in range(6):
        status, body = request_from("127.0.0.1", server.url, "POST", "/task", printing(1))
        statuses.append(status)
        if status != 201:
            break
        finish(server.url, body["task_id"])
    assert statuses == [201, 201, 201, 201, 429], (statuses, body)  # 4 MiB held + 2.67 reserved > 6
    assert body["quota"] == "storage" and body["limit"] == 6 * MIB, body
    me = request_from("127.0.0.1", server.url, "GET", "/me")[1]
    assert 4 * MIB < me["quotas"]["storage"]["used"] <= 6 * MIB, me  # never past the share
    # Another caller is not locked out, and the instance stays ready.
    status, other = request_from("127.0.0.2", server.url, "POST", "/task", printing(1))
    assert status == 201, other
    assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200


def test_a_small_task_does_not_wait_behind_a_neighbours_backlog(gunicorn):
    """Item 13: an anonymous print(1) waited 22 s behind other callers' long tasks (FIFO)."""
    server = gunicorn(TASK_WORKERS="1", SLEEP_MAX_SECONDS="5")
    backlog = []
    for _ in range(8):
        status, body = request_from(
            "127.0.0.2", server.url, "POST", "/task", {"kind": "sleep", "params": {"seconds": 0.4}}
        )
        assert status == 201, body
        backlog.append(body["task_id"])
    status, mine = request_from("127.0.0.1", server.url, "POST", "/task", {"kind": "sleep", "params": {"seconds": 0}})
    assert status == 201
    done = finish(server.url, mine["task_id"])
    theirs = [finish(server.url, task_id) for task_id in backlog]
    started_after = sum(1 for task in theirs if task["started_at"] < done["started_at"])
    assert started_after <= 2, f"{started_after} of the neighbour's tasks ran first"  # FIFO: all 8


def test_records_have_a_per_caller_quota_and_a_byte_budget(gunicorn):
    """Item 10: anonymous POST /new stored 200 MB in 2.6 s; the 1M-record cap allowed ~10 GB."""
    server = gunicorn(RECORDS_QUOTA_ANON_BYTES=str(2 * MIB), RECORDS_MAX_STORED_BYTES=str(int(3.5 * MIB)))
    batch = [{"text": "x" * 10_000} for _ in range(100)]  # 1 MB of text
    statuses = [request_from("127.0.0.1", server.url, "POST", "/new", batch) for _ in range(3)]
    assert [status for status, _ in statuses] == [201, 201, 429]
    refused = statuses[-1][1]
    assert refused["quota"] == "record_bytes" and refused["limit"] == 2 * MIB
    # The refused batch was not stored, and other callers go on until the store's byte budget.
    assert len(requests.get(f"{server.url}/all", timeout=10).json()) == 200
    assert request_from("127.0.0.2", server.url, "POST", "/new", batch)[0] == 201
    status, full = request_from("127.0.0.3", server.url, "POST", "/new", batch)  # 4 MB > 3.5 MiB
    assert status == 503 and "bytes" in full["detail"]
