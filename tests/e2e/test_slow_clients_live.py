"""Issue 14 item 1 and gunicorn's own error pages, against a real gunicorn: stalled and trickling
clients hold no thread, deadlines cut them off, and every refusal is problem+json."""

import json
import socket
import statistics
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest
import requests

from tests.e2e.conftest import LiveServer, start_gunicorn, wait_ready

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    """One server on the shipped defaults for the tests that change none."""
    live = start_gunicorn(tmp_path_factory.mktemp("slow") / "gunicorn.log")
    yield live
    live.stop()


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


# What a socket received past the response last read: pipelined responses can share one recv.
_unread: weakref.WeakKeyDictionary[socket.socket, bytes] = weakref.WeakKeyDictionary()


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One whole HTTP/1.1 response (status, lower-cased headers, body) from a raw socket."""
    data = _unread.pop(sock, b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body"
        body += chunk
    body, _unread[sock] = body[:length], body[length:]
    return int(status_line.split()[1]), headers, body


def assert_problem(response: tuple[int, dict[str, str], bytes], status: int, slug: str) -> None:
    code, headers, body = response
    assert code == status, (code, body)
    assert headers["content-type"] == PROBLEM and json.loads(body)["type"].endswith(f":{slug}")


@contextmanager
def stalled_clients(url: str, count: int) -> Iterator[None]:
    """`count` connections in every stalled shape: silent, a head a byte at a time, a body a byte
    at a time, a chunked body a byte at a time. All are closed afterwards, whatever happens."""
    openings = [
        b"",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        b"POST /task HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
        b"POST /task HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]
    sockets = []
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(0.5):
            for index, sock in enumerate(sockets):
                if index % len(openings):
                    with suppress(OSError):  # cut off by the server: that is allowed
                        sock.send(b"X" if index % len(openings) != 3 else b"1")

    try:
        for index in range(count):
            sock = connect(url)
            sockets.append(sock)
            sock.send(openings[index % len(openings)])
        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        yield
    finally:
        stop.set()
        for sock in sockets:
            sock.close()


def latencies(url: str, count: int) -> list[float]:
    times = []
    with requests.Session() as session:
        for _ in range(count):
            started = time.perf_counter()
            assert session.get(f"{url}/healthz", timeout=10).status_code == 200
            times.append(time.perf_counter() - started)
    return times


def test_fifty_stalled_connections_do_not_slow_other_clients(gunicorn):
    """Item 1: 8 connections sending headers a byte a second blocked every request (8 threads).
    The deadline is set far off so that only the worker model, not a timeout, can pass this."""
    server = gunicorn(HTTP_HEADER_TIMEOUT="120")
    before = statistics.median(latencies(server.url, 20))
    with stalled_clients(server.url, 50):
        time.sleep(1)
        during = latencies(server.url, 40)  # ~ seconds past gthread's 5 s wait for a first byte
        time.sleep(5.5)
        during += latencies(server.url, 20)
    assert max(during) < 2.0, f"worst {max(during):.2f}s with 50 stalled clients"
    assert statistics.median(during) < max(0.2, 10 * before), (before, statistics.median(during))


def test_a_head_that_never_ends_is_cut_with_408(gunicorn):
    server = gunicorn(HTTP_HEADER_TIMEOUT="1")
    with connect(server.url) as sock:
        sock.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert_problem(read_response(sock), 408, "request-timeout")
        assert time.monotonic() - started < 15
        assert sock.recv(1) == b""  # and closed


def test_a_body_slower_than_the_minimum_rate_is_cut_with_408(gunicorn):
    server = gunicorn(HTTP_HEADER_TIMEOUT="1", HTTP_BODY_MIN_RATE="1000")
    with connect(server.url) as sock:
        sock.send(b"POST /new HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n[")
        # allowed 1 s + 2000 B / 1000 B/s = 3 s
        assert_problem(read_response(sock), 408, "request-timeout")


def test_a_silent_connection_is_closed_at_the_header_timeout(gunicorn):
    server = gunicorn(HTTP_HEADER_TIMEOUT="1")
    with connect(server.url) as sock:
        assert sock.recv(1) == b""


@pytest.mark.parametrize("length", [b"100001", b"9" * 30])
def test_a_body_over_the_limit_is_413_before_it_is_sent(gunicorn, length):
    server = gunicorn(REQUEST_MAX_BYTES="100000")
    with connect(server.url) as sock:
        sock.send(b"POST /task HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\nExpect: 100-continue\r\n\r\n")
        assert_problem(read_response(sock), 413, "request-too-large")


def test_expect_100_continue_gets_one_interim_answer(server):
    body = b'[{"text": "after a 100"}]'
    with connect(server.url) as sock:
        head = f"POST /new HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        sock.send(head.encode() + b"Expect: 100-continue\r\n\r\n")
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.send(body)
        status, _, answer = read_response(sock)
        assert status == 201 and b"after a 100" in answer and b"100 Continue" not in answer


def test_a_chunked_body_is_refused_by_the_worker_without_waiting_for_it(server):
    with connect(server.url) as sock:
        sock.send(b"POST /task HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")  # no chunk ever
        assert_problem(read_response(sock), 411, "length-required")


def test_pipelined_and_kept_alive_requests_are_all_answered(server):
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(server.url) as sock:
        sock.send(request * 3)
        assert [read_response(sock)[0] for _ in range(3)] == [200] * 3
        sock.send(request[:10])  # the next one split across sends on the kept-alive connection
        time.sleep(0.2)
        sock.send(request[10:])
        assert read_response(sock)[0] == 200


def test_bodies_beyond_the_buffer_budget_are_503(gunicorn):
    server = gunicorn(HTTP_BUFFER_MAX_BYTES=str(1024 * 1024))
    head = b"POST /new HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 700000\r\n\r\n"
    with connect(server.url) as first, connect(server.url) as second:
        first.send(head + b"[")
        time.sleep(0.5)
        second.send(head + b"[")
        response = read_response(second)
        assert_problem(response, 503, "server-busy")
        assert response[1]["retry-after"] == "1"


@pytest.mark.parametrize(
    ("request_bytes", "status", "slug"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri-too-long"),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n", 431, "headers-too-large"),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, "headers-too-large"),
        (b"NOT A REQUEST\r\n\r\n", 400, "bad-request"),
        (b"GET / HTTP/1.1\r\nBad Header: 1\r\n\r\n", 400, "bad-request"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400, "bad-request"),
    ],
    ids=["long-uri", "too-many-headers", "huge-header", "garbage", "bad-header-name", "unknown-coding"],
)
def test_gunicorns_own_errors_are_problem_json(server, request_bytes, status, slug):
    """Item 5: gunicorn answered its own 400/414/431 with an HTML page."""
    with connect(server.url) as sock:
        sock.send(request_bytes)
        assert_problem(read_response(sock), status, slug)


def test_clients_that_stop_reading_lose_their_connection_not_a_thread_forever(gunicorn):
    """8 clients fetching a 6 MB result and never reading held all 8 threads for as long as they
    stayed connected; a write that makes no progress for HTTP_SEND_TIMEOUT now drops them."""
    server = gunicorn(HTTP_SEND_TIMEOUT="1")
    source = "import sys; sys.stdout.write('x' * 6_000_000)"
    body = {"kind": "code", "params": {"language": "python", "source": source, "limits": {"output_kb": 8192}}}
    submitted = requests.post(f"{server.url}/task", json=body, timeout=30)
    assert submitted.status_code == 201, submitted.text
    task_id = submitted.json()["task_id"]
    assert wait_ready(requests.Session(), server.url, task_id, timeout=60)["status"] == "ready"
    readers = []
    try:
        for _ in range(8):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a window that fills at once
            sock.connect(connect(server.url).getpeername())
            sock.send(f"GET /result/{task_id} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            readers.append(sock)
        time.sleep(8)  # past the send timeout, once the kernel stops taking bytes: every thread is free
        assert max(latencies(server.url, 10)) < 2.0
    finally:
        for sock in readers:
            sock.close()


def test_clients_that_never_close_after_connection_close_do_not_stall_the_others(server):
    """gunicorn lingered up to 2 s per such connection reading, on its main loop: 10 of them
    stalled every other client for 20 s."""
    lingerers = []
    try:
        for _ in range(10):
            sock = connect(server.url)
            sock.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            lingerers.append(sock)  # never read from, never closed (until the end of the test)
        time.sleep(0.5)
        assert max(latencies(server.url, 10)) < 1.5
    finally:
        for sock in lingerers:
            sock.close()


def test_a_thousand_idle_connections_from_one_address_leave_others_served(tmp_path):
    """Issue 25 item 4: 1,000 idle connections from one address filled worker_connections, and an
    honest GET /healthz from another address took p50 3.9 s, p95 8.4 s."""
    live = start_gunicorn(tmp_path / "gunicorn.log", {"HTTP_MAX_IDLE_PER_ADDRESS": "100"})
    host, port = live.url.removeprefix("http://").split(":")
    idle: list[socket.socket] = []
    try:
        for _ in range(1000):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.connect((host, int(port)))
            idle.append(sock)
        refused = idle[-1]  # past the 100 the address may hold: 429, closed
        refused.settimeout(10)
        assert_problem(read_response(refused), 429, "too-many-connections")
        timings = []
        for _ in range(40):
            started = time.monotonic()
            honest = socket.socket()
            honest.bind(("127.0.0.2", 0))
            honest.settimeout(10)
            honest.connect((host, int(port)))
            honest.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert read_response(honest)[0] == 200
            honest.close()
            timings.append(time.monotonic() - started)
        assert statistics.quantiles(timings, n=20)[-1] < 1.0, timings  # p95
    finally:
        for sock in idle:
            sock.close()
        live.stop()


def test_a_connection_that_sends_nothing_is_closed_soon(tmp_path):
    live = start_gunicorn(tmp_path / "gunicorn.log", {"HTTP_IDLE_TIMEOUT": "1", "HTTP_HEADER_TIMEOUT": "10"})
    try:
        silent = connect(live.url)
        started = time.monotonic()
        assert silent.recv(1) == b""  # closed without a word: there is nothing to answer
        assert time.monotonic() - started < 5
        trickling = connect(live.url)  # one that started a head keeps the head's own deadline
        trickling.sendall(b"GET /healthz HTTP/1.1\r\n")
        time.sleep(1.5)
        trickling.sendall(b"Host: x\r\n\r\n")
        assert read_response(trickling)[0] == 200
    finally:
        live.stop()
