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
    return {"kind": "code", "params": {"language": "python", "source": source, "limits": {"output_kb": 2048}}}


def finish(url: str, task_id: str) -> dict:
    return wait_ready(requests.Session(), url, task_id, timeout=60)


def test_invalid_utf_8_output_is_stored_compactly(gunicorn):
    """Item 9: 0xff bytes were stored as U+FFFD escapes, about 6x the output limit."""
    server = gunicorn()
    response = requests.post(f"{server.url}/task", json=printing(1, "\xff"), timeout=10)
    assert finish(server.url, response.json()["task_id"])["status"] == "ready"
    result = requests.get(f"{server.url}/result/{response.json()['task_id']}", timeout=10)
    assert len(result.content) < 1.4 * MIB  # base64: 4/3 of the megabyte, plus the report
    run = result.json()["run"]
    assert run["stdout_encoding"] == "base64" and base64.b64decode(run["stdout"]) == b"\xff" * MIB


def test_one_caller_cannot_fill_the_store_for_everyone(gunicorn):
    """Item 9: ten callers' results filled the store's byte budget: 503 for all, for 24 hours."""
    server = gunicorn(TASK_MAX_STORED_BYTES=str(8 * MIB), QUOTA_ANON_STORED_BYTES=str(3 * MIB))
    statuses = []
    for _ in range(5):
        status, body = request_from("127.0.0.1", server.url, "POST", "/task", printing(1))
        statuses.append(status)
        if status != 201:
            break
        finish(server.url, body["task_id"])
    assert statuses[-1] == 429 and body["quota"] == "storage" and body["limit"] == 3 * MIB, (statuses, body)
    assert statuses.count(201) == 3
    # Another caller is not locked out...
    status, other = request_from("127.0.0.2", server.url, "POST", "/task", printing(1))
    assert status == 201, other
    # ...and /me shows each their own share.
    me = request_from("127.0.0.1", server.url, "GET", "/me")[1]
    assert me["quotas"]["storage"]["limit"] == 3 * MIB and me["quotas"]["storage"]["used"] > 3 * MIB


def test_readiness_reports_a_full_store(gunicorn):
    """Item 9: the store refused everyone while /readyz said ok."""
    server = gunicorn(TASK_MAX_STORED_BYTES=str(2 * MIB))
    assert requests.get(f"{server.url}/readyz", timeout=10).status_code == 200
    for address in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
        status, body = request_from(address, server.url, "POST", "/task", printing(1))
        if status != 201:
            break
        finish(server.url, body["task_id"])
    ready = requests.get(f"{server.url}/readyz", timeout=10)
    assert ready.status_code == 503 and "full" in ready.json()["checks"]["repository"], ready.text
