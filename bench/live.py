"""Start and stop the service for benchmarks: the shipped gunicorn config, a free port, a log file."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# The benchmarks measure the work, not the rationing: every quota check still runs, but its
# limits are out of reach (one anonymous client submits hundreds of tasks at once).
OUT_OF_REACH = {
    name: "1000000000"
    for name in (
        "QUOTA_USER_IN_PROGRESS",
        "QUOTA_USER_SUBMISSIONS",
        "QUOTA_ANON_IN_PROGRESS",
        "QUOTA_ANON_SUBMISSIONS",
        # Anonymous ceilings are capped by the service-wide limits, so this means "those limits".
        "QUOTA_ANON_CODE_TIME_S",
        "QUOTA_ANON_CODE_TASK_S",
        "QUOTA_ANON_CODE_MEMORY_MB",
        "QUOTA_ANON_IMAGE_PIXELS",
        "QUOTA_ANON_IMAGE_STEPS",
        "QUOTA_ANON_IMAGE_TIME_S",
        "QUOTA_ANON_IMAGE_MEMORY_MB",
        "QUOTA_ANON_STORED_BYTES",
        "TASK_MAX_STORED_BYTES_PER_OWNER",
        "RECORDS_QUOTA_ANON_ITEMS",
        "RECORDS_QUOTA_ANON_BYTES",
    )
} | {"RECORDS_SHARE_ANON": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], log_name: str) -> Iterator[str]:
    """Yields the base URL of a healthy gunicorn started with taskservice/gunicorn.conf.py."""
    with serve(env, log_name) as (url, _master):
        yield url


@contextmanager
def serve(env: dict[str, str], log_name: str) -> Iterator[tuple[str, int]]:
    """`gunicorn`, also yielding the master's pid (to watch its worker)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    environment = {**os.environ, **OUT_OF_REACH, "HOST": "127.0.0.1", "PORT": str(port), **env}
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "taskservice" / "gunicorn.conf.py")]
    with (RESULTS / log_name).open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=1)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {RESULTS / log_name}") from None
                time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(30)


def worker_pid(master: int) -> int:
    """The (one) worker of the gunicorn master `master`."""
    return int(Path(f"/proc/{master}/task/{master}/children").read_text().split()[0])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"


def wait_done(http: requests.Session, url: str, task_id: str) -> dict:
    """Wait for a task to leave in_progress (`?wait=`, as clients are told to: polling every 20 ms
    took 5% of a core from the tasks measured); returns the final status body."""
    while (status := http.get(f"{url}/status/{task_id}?wait=10", timeout=30).json())["status"] == "in_progress":
        pass
    return status


def server_figures(statuses: list[dict]) -> tuple[float, list[float]]:
    """Throughput and submit->ready latencies from the service's own timestamps (one clock)."""
    created = [datetime.fromisoformat(status["created_at"]) for status in statuses]
    finished = [datetime.fromisoformat(status["finished_at"]) for status in statuses]
    latencies = [1000 * (end - start).total_seconds() for start, end in zip(created, finished, strict=True)]
    return len(statuses) / (max(finished) - min(created)).total_seconds(), latencies


class KeepAlive:
    """A lean HTTP client for the load: one kept-alive http.client connection. With the load
    generator on the service's cores, requests' 1.3 ms of CPU per call was a tenth of the budget."""

    def __init__(self, url: str) -> None:
        self._connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=60)

    def call(self, method: str, path: str, body: dict | None = None, headers: dict[str, str] | None = None) -> dict:
        payload = None if body is None else json.dumps(body).encode()
        headers = {**({"Content-Type": "application/json"} if payload else {}), **(headers or {})}
        self._connection.request(method, path, payload, headers)
        response = self._connection.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data)

    def wait_done(self, task_id: str, poll_seconds: float) -> dict:
        while (status := self.call("GET", f"/status/{task_id}"))["status"] == "in_progress":
            time.sleep(poll_seconds)
        return status
