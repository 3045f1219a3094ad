"""GET /result of a large result: no whole copy per download, and nothing kept once it is sent.

Issue 25 item 3: a 320 MiB result grew the worker by 4x its size during 6 concurrent downloads
(each built its own JSON envelope), and 3x stayed after the task was deleted (the view and its
response held each other, so only the garbage collector freed them). bench/downloads.py measures
the whole thing against a real gunicorn; these tests hold the two causes.
"""

import base64
import gc
import io
import json
import tracemalloc
import weakref

import pytest
from django.core.handlers.wsgi import WSGIHandler

from tasks import providers
from tasks.domain import Task, TaskResult, TaskStatus, utcnow

pytestmark = pytest.mark.every_store

MIB = 1024 * 1024


@pytest.fixture
def stored(db):
    """A succeeded task whose JSON result is 32 MiB, in the configured store."""
    repository = providers.task_repository()
    task = Task.new(kind="sleep", params={"seconds": 0, "size": 1}, now=utcnow())
    repository.add(task)
    repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=utcnow())
    data = json.dumps({"text": "y" * (32 * MIB)}).encode()
    result = TaskResult(data, "application/json")
    repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=utcnow(), result=result)
    return task


def get(path: str, accept: str = "application/json"):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_ACCEPT": accept,
    }
    return WSGIHandler()(environ, lambda status, headers: None)


def test_the_envelope_is_sent_in_chunks_not_copied_whole(stored, store):
    tracemalloc.start()
    try:
        response = get(f"/result/{stored.id}")
        total, largest = 0, 0
        for chunk in response:
            total += len(chunk)
            largest = max(largest, len(chunk))
        response.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == int(response["Content-Length"]) > 32 * MIB
    loaded = 32 * MIB if store == "postgres" else 0  # PostgreSQL's blob is read for each download
    assert largest <= MIB and peak < loaded + 8 * MIB, (largest, peak)


def test_a_binary_result_as_json_is_base64_in_chunks(stored):
    repository = providers.task_repository()
    task = Task.new(kind="sleep", params={"seconds": 0, "size": 1}, now=utcnow())
    repository.add(task)
    repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.RUNNING, at=utcnow())
    data = bytes(range(256)) * 10_000 + b"xy"  # not a multiple of 3: the last chunk pads
    result = TaskResult(data, "image/png", "out.png")
    repository.transition(task.id, expected=TaskStatus.RUNNING, target=TaskStatus.SUCCEEDED, at=utcnow(), result=result)
    response = get(f"/result/{task.id}")
    body = b"".join(response)
    assert len(body) == int(response["Content-Length"])
    envelope = json.loads(body)
    assert envelope["result"]["content_type"] == "image/png" and base64.b64decode(envelope["result"]["data"]) == data


def test_a_sent_response_is_freed_without_the_garbage_collector(stored):
    gc.disable()
    try:
        response = get(f"/result/{stored.id}")
        b"".join(response)
        response.close()
        sent = weakref.ref(response)
        del response
        assert sent() is None  # it was kept until gc.collect() by the view <-> response cycle
    finally:
        gc.enable()
