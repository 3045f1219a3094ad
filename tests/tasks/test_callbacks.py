"""Signed webhooks: URL checks, the Standard Webhooks signature, attempts, retries, the queue."""

import dataclasses
import threading
import time
import uuid
from datetime import timedelta

import pytest

from stores.memory.tasks import InMemoryTaskRepository
from tasks import callbacks
from tasks.callback_queue import CallbackQueue
from tasks.callbacks import Answer, Deliverer, Refused
from tasks.domain import Task, TaskStatus, utcnow
from tasks.errors import InvalidCallbackUrl
from tests.support import EPOCH

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_the_signature_is_standard_webhooks_v1():
    # The reference vector of the Standard Webhooks libraries.
    signature = callbacks.sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/task",
        "http://8.8.8.8:8080/x?y=1",
        "https://[2001:4860:4860::8888]/hook",
        "https://bücher.example/hook",
        "http://[2002:808:808::]/",
    ],
)
def test_public_http_urls_are_taken(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    assert callbacks.check_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "https:///nohost",
        "not a url",
        "http://user:pw@example.com/",
        "http://example.com:0/",
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://localhost:8000/",
        "http://api.localhost/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "https://example.com/" + "x" * 2048,
        "http://[fe80::1]/",
        # Issue 25 item 7: taken with 201 before, then failed at delivery or reached inside.
        f"http://{'a' * 70}.example.com/hook",
        "http://a..example.com/",
        "http://[::127.0.0.1]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[64:ff9b:1::a00:1]/",
        "http://[fec0::1]/",
        "http://[2002:7f00:1::]/",
    ],
)
def test_other_urls_and_private_addresses_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(InvalidCallbackUrl):
        callbacks.check_url(url)


def test_private_addresses_may_be_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert callbacks.check_url("http://127.0.0.1:9/hook")


def test_a_name_that_resolves_to_a_private_address_is_refused_at_delivery(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(Refused, match="private"):
        callbacks.request("POST", "http://localhost:9/hook", b"{}", {}, 1.0)


def test_backoff_grows_is_capped_and_jittered(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_RETRY_MAX_SECONDS = 1.0, 10.0
    assert all(0.5 <= callbacks.backoff(1) <= 1.0 for _ in range(50))
    assert all(4.0 <= callbacks.backoff(4) <= 8.0 for _ in range(50))
    assert all(5.0 <= callbacks.backoff(20) <= 10.0 for _ in range(50))
    assert len({callbacks.backoff(3) for _ in range(20)}) > 1


@pytest.fixture
def finished():
    repository = InMemoryTaskRepository(max_tasks=10, max_bytes=10**6)
    task = Task.new(kind="sleep", params={"seconds": 0}, owner="user:1", now=EPOCH, callback_url="http://x.test/h")
    repository.add(task)
    repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.CANCELLED, at=utcnow())
    return repository, task.id


def deliverer(repository, answers, secret=SECRET):
    sent = []

    def send(method, url, body, headers, timeout):
        sent.append((method, url, body, headers))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Answer(answer)

    return Deliverer(repository, lambda owner: secret, send), sent


def test_a_delivered_webhook_is_signed_logged_and_not_due_again(finished):
    repository, task_id = finished
    deliver, sent = deliverer(repository, [204])
    assert deliver.attempt(task_id) is None
    [(method, url, body, headers)] = sent
    assert method == "POST" and url == "http://x.test/h" and headers["webhook-id"] == f"msg_{task_id.hex}"
    assert headers["webhook-signature"] == callbacks.sign(
        SECRET, headers["webhook-id"], int(headers["webhook-timestamp"]), body
    )
    assert b'"type":"task.cancelled"' in body
    task = repository.get(task_id)
    assert task.callback_due_at is None and [a["outcome"] for a in task.callbacks] == ["delivered"]
    assert deliver.attempt(task_id) is None and len(sent) == 1  # nothing due: nothing sent


def test_failures_are_retried_then_given_up(finished, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    repository, task_id = finished
    deliver, sent = deliverer(repository, [500, TimeoutError("timed out"), 502])
    for _ in range(3):
        if deliver.attempt(task_id) is not None:
            force_due(repository, task_id)
    task = repository.get(task_id)
    assert [(a["outcome"], a["status_code"]) for a in task.callbacks] == [
        ("retrying", 500),
        ("retrying", None),
        ("failed", 502),
    ]
    assert "TimeoutError" in task.callbacks[1]["error"] and task.callback_due_at is None and len(sent) == 3


def force_due(repository, task_id, ago=timedelta(seconds=1)):
    """The retry's time has come (`ago`)."""
    with repository._lock:
        task = repository._tasks[task_id]
        repository._tasks[task_id] = dataclasses.replace(task, callback_due_at=utcnow() - ago)


def test_a_refused_address_or_a_missing_secret_is_not_retried(finished):
    repository, task_id = finished
    deliver, _ = deliverer(repository, [Refused("x.test resolves to a loopback, private or reserved address")])
    assert deliver.attempt(task_id) is None
    assert repository.get(task_id).callbacks[0]["outcome"] == "failed"
    force_due(repository, task_id)
    deliver, sent = deliverer(repository, [], secret=None)
    assert deliver.attempt(task_id) is None and sent == []
    assert "no webhook secret" in repository.get(task_id).callbacks[1]["error"]


def test_a_style_sets_the_method_and_body_and_an_unknown_one_is_not_retried(monkeypatch):
    repository = InMemoryTaskRepository(max_tasks=10, max_bytes=10**6)
    monkeypatch.setitem(callbacks.STYLES, "other", callbacks.Style("PUT", lambda task, store: b'{"theirs":1}'))
    for style in ("other", "gone"):
        task = Task.new(kind="sleep", params={"seconds": 0}, owner="user:1", now=EPOCH, callback_url="http://x.test/h")
        repository.add(dataclasses.replace(task, callback_style=style))
        repository.transition(task.id, expected=TaskStatus.QUEUED, target=TaskStatus.CANCELLED, at=utcnow())
        deliver, sent = deliverer(repository, [204])
        deliver.attempt(task.id)
        if style == "other":
            assert [(method, body) for method, _, body, _ in sent] == [("PUT", b'{"theirs":1}')]
        else:
            assert sent == [] and "no webhook style 'gone'" in repository.get(task.id).callbacks[0]["error"]


def test_only_one_deliverer_attempts_a_due_webhook(finished):
    repository, task_id = finished
    gate, calls = threading.Event(), []

    def slow(method, url, body, headers, timeout):
        calls.append(1)
        gate.wait(5)
        return Answer(200)

    first = threading.Thread(target=Deliverer(repository, lambda owner: SECRET, slow).attempt, args=(task_id,))
    first.start()
    time.sleep(0.1)
    assert Deliverer(repository, lambda owner: SECRET, slow).attempt(task_id) is None  # claimed: not due
    gate.set()
    first.join()
    assert calls == [1]


def test_the_queue_runs_attempts_and_their_retries():
    seen, done = [], threading.Event()

    def attempt(task_id):
        seen.append(time.monotonic())
        if len(seen) == 3:
            done.set()
            return None
        return 0.05

    queue = CallbackQueue(attempt, workers=2)
    try:
        queue.kick(uuid.uuid4())
        assert done.wait(5) and seen[2] - seen[0] >= 0.09
    finally:
        queue.shutdown()


def test_overdue_deliveries_are_handed_over_again(finished):
    repository, task_id = finished
    handed = []
    assert callbacks.redeliver_overdue(repository, handed.append) == 0  # just finished: not overdue
    force_due(repository, task_id, ago=timedelta(minutes=1))
    assert callbacks.redeliver_overdue(repository, handed.append) == 1 and handed == [task_id]


def test_a_receiver_that_answers_a_byte_at_a_time_is_cut_off_at_the_timeout(settings):
    import socket

    settings.WEBHOOK_ALLOW_PRIVATE = True
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                if stop.wait(0.2):
                    return
                connection.sendall(bytes([byte]))

    dripping = threading.Thread(target=drip)
    dripping.start()
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError, match="within 1 s"):
            callbacks.request("POST", f"http://127.0.0.1:{listener.getsockname()[1]}/", b"{}", {}, 1.0)
        assert time.monotonic() - started < 2.0  # every byte came within the per-read timeout
    finally:
        stop.set()
        dripping.join()
        listener.close()
