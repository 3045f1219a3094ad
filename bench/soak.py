"""Soak: mixed honest and hostile traffic against one `make run`-style server for a fixed time,
loopback only. Every interval it reports honest latency (p50/p99), errors, the worker's resident
memory next to what its stores hold, and what the service left behind (open fds, run dirs).

Honest (with API keys, their quotas out of reach): image tasks (upload, poll, fetch), code tasks
(C and Python), status polls, records churn (insert a batch, read, delete it). Hostile
(anonymous, on the shipped anonymous quotas, each from a loopback address of its own): stalled
and trickling connections, bodies over the limit, chunked bodies, malformed JSON, fork bombs and
memory hogs as code; and (issue 25) the /proc/N/mem escape as code, code tasks whose output
would outgrow the storage share, 300 idle connections held open, and admin password guessing.
Tasks expire after --ttl seconds, so a bounded service holds a steady amount of data ("held":
inputs and results of tasks that have not expired yet, as the clients count them); after the load
it waits for every task to expire and reports what the worker gave back.

Usage: python bench/soak.py [--minutes 10] [--interval 30] [--ttl 60] [--env NAME=VALUE ...]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live import RESULTS, machine, percentile, serve, worker_pid
from tests.sandbox.test_escape import EXPLOIT

C_HELLO = '#include <stdio.h>\nint main(void){int s=0;for(int i=0;i<1000000;i++)s+=i;printf("%d\\n",s);}'
HOSTILE_CODE = [
    ("c", "#include <unistd.h>\nint main(void){for(;;)fork();}"),
    (
        "c",
        "#include <stdlib.h>\n#include <string.h>\nint main(void){for(;;){char*p=malloc(1<<20);"
        "if(!p)return 1;memset(p,1,1<<20);}}",
    ),
    ("python", "while True: pass"),
]


def png(side: int) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((side, side), 60).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


class Stats:
    """Per-interval honest latencies and counts, shared by the load threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.counts: dict[str, int] = defaultdict(int)
        self.held: list[tuple[float, int]] = []

    def timed(self, name: str, expect: tuple[int, ...], call: Callable, *args: Any, **kwargs: Any) -> Any:
        """`call(*args, **kwargs)`, timed under `name`; an answer other than `expect` is an error."""
        started = time.perf_counter()
        try:
            response = call(*args, timeout=60, **kwargs)
        except requests.RequestException:
            self.count(f"{name}: no answer")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latency[name].append(elapsed)
            if response.status_code not in expect:
                self.counts[f"{name}: HTTP {response.status_code}"] += 1
        return response

    def hold(self, size: int) -> None:
        with self.lock:
            self.held.append((time.monotonic(), size))

    def holding(self, seconds: float) -> int:
        """Bytes of inputs and results of tasks that finished in the last `seconds` (not yet expired)."""
        since = time.monotonic() - seconds
        with self.lock:
            self.held = [(at, size) for at, size in self.held if at >= since]
            return sum(size for _, size in self.held)

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def take(self) -> tuple[dict[str, list[float]], dict[str, int]]:
        with self.lock:
            latency, counts = self.latency, self.counts
            self.latency, self.counts = defaultdict(list), defaultdict(int)
        return latency, counts


def keyed(key: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session


class From(requests.adapters.HTTPAdapter):
    """Connections from one loopback address: an anonymous caller of its own."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def anonymous(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", From(address))
    return session


def wait_done(session: requests.Session, url: str, task_id: str, stats: Stats, stop: threading.Event) -> dict | None:
    deadline = time.monotonic() + 120
    while not stop.is_set() and time.monotonic() < deadline:
        response = stats.timed("status", (200,), session.get, f"{url}/status/{task_id}")
        if response is not None and response.status_code == 200 and response.json()["status"] != "in_progress":
            return response.json()
        time.sleep(0.2)
    return None


def finish(session: requests.Session, url: str, submit: Any, size: int, stats: Stats, stop: threading.Event) -> None:
    """Poll a submitted task to its end, fetch its result, and note what the server now holds."""
    if submit is None or submit.status_code != 201:
        return
    final = wait_done(session, url, submit.json()["task_id"], stats, stop)
    if final and final["status"] == "ready":
        stats.timed("result", (200,), session.get, f"{url}/result/{final['task_id']}")
        size += final["result"]["size"]
    stats.hold(size)


def image_user(url: str, key: str, stats: Stats, stop: threading.Event) -> None:
    session = keyed(key)
    images = [png(side) for side in (256, 800, 1200)]
    while not stop.is_set():
        data = random.choice(images)
        filters = json.dumps([{"op": "resize", "width": 640}, {"op": random.choice(["sepia", "blur", "grayscale"])}])
        form = {"kind": "image", "filters": filters}
        submit = stats.timed("submit image", (201,), session.post, f"{url}/task", files={"image": data}, data=form)
        finish(session, url, submit, len(data), stats, stop)


def code_user(url: str, key: str, stats: Stats, stop: threading.Event) -> None:
    session = keyed(key)
    while not stop.is_set():
        language, source = random.choice([("c", C_HELLO), ("python", "print(sum(range(10**5)))")])
        body = {"kind": "code", "params": {"language": language, "source": source}}
        submit = stats.timed("submit code", (201,), session.post, f"{url}/task", json=body)
        finish(session, url, submit, len(source), stats, stop)


def records_user(url: str, key: str, stats: Stats, stop: threading.Event) -> None:
    session = keyed(key)
    while not stop.is_set():
        batch = [{"text": "x" * random.randint(10, 5000)} for _ in range(random.randint(10, 100))]
        created = stats.timed("records new", (201,), session.post, f"{url}/new", json=batch)
        stats.timed("records read", (200,), session.get, f"{url}/100")
        if created is not None and created.status_code == 201:
            for record in created.json():
                stats.timed("records delete", (200,), session.delete, f"{url}/{record['uuid']}")


def hostile_http(url: str, key: str, stats: Stats, stop: threading.Event) -> None:
    """Stalled, trickling and oversized requests, and bad bodies; none may cost honest clients."""
    host, port = url.removeprefix("http://").split(":")
    session = anonymous("127.0.0.2")
    while not stop.is_set():
        sockets = []
        for opening in (b"", b"GET /healthz HTTP/1.1\r\n", b"POST /new HTTP/1.1\r\nContent-Length: 9000\r\n\r\n["):
            for _ in range(10):
                sock = socket.create_connection((host, int(port)), timeout=5, source_address=("127.0.0.2", 0))
                sock.send(opening)
                sockets.append(sock)
        for _ in range(10):
            if stop.wait(0.5):
                break
            for sock in sockets:
                with contextlib.suppress(OSError):  # cut off by the server: expected
                    sock.send(b"x")
        for sock in sockets:
            sock.close()
        for body, headers in (
            (b"[" * 100_000, {"Content-Type": "application/json"}),
            (b'{"text": "\\ud800"}', {"Content-Type": "application/json"}),
            (iter([b'{"kind": "code"}']), {"Content-Type": "application/json"}),  # chunked
            (b"x" * (29 * 1024 * 1024), {"Content-Type": "application/json"}),  # over REQUEST_MAX_BYTES
        ):
            try:
                response = session.post(f"{url}/task", data=body, headers=headers, timeout=30)
                stats.count(f"hostile http: {response.status_code}")
            except requests.RequestException:
                stats.count("hostile http: cut off")
        language, source = random.choice(HOSTILE_CODE)
        response = session.post(
            f"{url}/task", json={"kind": "code", "params": {"language": language, "source": source}}
        )
        stats.count(f"hostile code: {response.status_code}")


def hostile_code(url: str, key: str, stats: Stats, stop: threading.Event) -> None:
    """The sandbox escape of issue 25 item 1, and output that would outgrow the storage share."""
    session = anonymous("127.0.0.3")
    hog = {
        "language": "python",
        "source": "import sys\nsys.stdout.write('y' * (8 << 20))",
        "tests": [{"expected_output": ""}] * 10,
        "limits": {"output_kb": 8192, "time_s": 1},
    }
    while not stop.is_set():
        response = session.post(f"{url}/task", json={"kind": "code", "params": hog}, timeout=30)
        stats.count(f"storage hog: {response.status_code}")
        body = {"kind": "code", "params": {"language": "python", "source": EXPLOIT}}
        response = session.post(f"{url}/task", json=body, timeout=30)
        if response.status_code != 201:
            stats.count(f"exploit: HTTP {response.status_code}")
            stop.wait(1)
            continue
        final = wait_done(session, url, response.json()["task_id"], stats, stop)
        if final and final["status"] == "ready":
            run = session.get(f"{url}/result/{final['task_id']}", timeout=30).json()["result"]["run"]
            opened = "opened" in run["stdout"]
            stats.count("exploit: ESCAPED" if opened or run["exit_code"] != 7 else "exploit: contained")


def idle_flood(url: str, key: str, stats: Stats, stop: threading.Event) -> None:
    """300 connections from one address that never send a byte, renewed as the server closes them."""
    host, port = url.removeprefix("http://").split(":")
    held: list[socket.socket] = []
    while not stop.is_set():
        while len(held) < 300 and not stop.is_set():
            try:
                held.append(socket.create_connection((host, int(port)), timeout=5, source_address=("127.0.0.4", 0)))
            except OSError:
                stats.count("idle flood: connect refused")
                break
        stop.wait(1)
        alive = []
        for sock in held:
            sock.setblocking(False)
            try:
                closed = sock.recv(4096, socket.MSG_PEEK) is not None
            except BlockingIOError:
                closed = False
            except OSError:
                closed = True
            (sock.close() if closed else alive.append(sock))
            if closed:
                stats.count("idle flood: closed by server")
        held = alive
    for sock in held:
        sock.close()


def admin_guesser(url: str, key: str, stats: Stats, stop: threading.Event) -> None:
    """Password guesses at the admin's login page, with its CSRF token as a browser would send."""
    session = anonymous("127.0.0.5")
    while not stop.is_set():
        page = session.get(f"{url}/admin/login/", timeout=30)
        token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[-1].split('"', 1)[0]
        form = {"csrfmiddlewaretoken": token, "username": "root", "password": f"guess-{random.random()}"}
        response = session.post(f"{url}/admin/login/", data=form, headers={"Referer": f"{url}/admin/login/"})
        stats.count(f"admin guess: {response.status_code}")
        stop.wait(0.5)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def leftovers(pid: int) -> tuple[int, int]:
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    run_dirs = sum(1 for path in Path(tempfile.gettempdir()).glob("taskservice-code-*"))
    return fds, run_dirs


# The anonymous quotas as shipped: the hostile callers are anonymous, and meet them.
SHIPPED_ANONYMOUS_QUOTAS = {
    name: value
    for name, value in (
        ("QUOTA_ANON_IN_PROGRESS", "1"),
        ("QUOTA_ANON_SUBMISSIONS", "10"),
        ("QUOTA_ANON_CODE_TIME_S", "2"),
        ("QUOTA_ANON_CODE_TASK_S", "30"),
        ("QUOTA_ANON_CODE_MEMORY_MB", "256"),
        ("QUOTA_ANON_STORED_BYTES", str(32 * 2**20)),
        ("RECORDS_QUOTA_ANON_ITEMS", "120000"),
        ("RECORDS_QUOTA_ANON_BYTES", str(16 * 2**20)),
    )
}


def api_key(env: dict[str, str]) -> str:
    """A key for the honest callers, in the server's own database."""
    command = [sys.executable, "manage.py", "create_api_key", "honest", "--create-user"]
    root = Path(__file__).resolve().parent.parent
    made = subprocess.run(command, cwd=root, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    return made.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=30, help="seconds between report lines")
    parser.add_argument("--ttl", type=int, default=60, help="TASK_TTL_SECONDS of the server")
    parser.add_argument("--env", action="append", default=[], help="extra server environment, NAME=VALUE")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="taskservice-soak-")
    env = {
        "TASK_STORE": "memory",
        "ACCESS_LOG": "0",
        "TASK_TTL_SECONDS": str(args.ttl),
        "TASK_SWEEP_SECONDS": "5",
        "DATA_DIR": data,
        **SHIPPED_ANONYMOUS_QUOTAS,
    }
    env.update(item.split("=", 1) for item in args.env)
    print(f"# soak: {args.minutes} min, {machine()}, server env {env}")
    stats, stop = Stats(), threading.Event()
    with serve(env, "soak.log") as (url, master):
        pid = worker_pid(master)
        key = api_key(env)
        users = [
            image_user,
            image_user,
            code_user,
            code_user,
            records_user,
            hostile_http,
            hostile_code,
            idle_flood,
            admin_guesser,
        ]
        threads = [threading.Thread(target=user, args=(url, key, stats, stop), daemon=True) for user in users]
        for thread in threads:
            thread.start()
        print(
            f"{'min':>5} {'rss MB':>7} {'held MB':>7} {'fds':>4} {'runs':>4} {'honest':>6} "
            f"{'p50 ms':>7} {'p99 ms':>7} {'status p99':>10}  errors / hostile outcomes"
        )
        started = time.monotonic()
        try:
            while (elapsed := time.monotonic() - started) < args.minutes * 60:
                time.sleep(min(args.interval, args.minutes * 60 - elapsed))
                latency, counts = stats.take()
                every = [value for values in latency.values() for value in values]
                status = latency.get("status", [0.0])
                fds, runs = leftovers(pid)
                held = stats.holding(args.ttl + 5) / 2**20  # expiry sweeps every 5 s
                print(
                    f"{(time.monotonic() - started) / 60:5.1f} {rss_mb(pid):7.0f} {held:7.0f} {fds:4d} {runs:4d} "
                    f"{len(every):6d} {1000 * percentile(every or [0.0], 0.5):7.0f} "
                    f"{1000 * percentile(every or [0.0], 0.99):7.0f} {1000 * percentile(status, 0.99):10.0f}  "
                    + ", ".join(f"{name} x{n}" for name, n in sorted(counts.items())),
                    flush=True,
                )
        finally:
            stop.set()
            for thread in threads:
                thread.join(60)
        # Quiet until every task has expired: what the worker gives back once it holds nothing.
        time.sleep(args.ttl + 10)
        fds, runs = leftovers(pid)
        print(
            f"# {args.ttl + 10} s after the load stopped (all tasks expired): rss {rss_mb(pid):.0f} MB, "
            f"{fds} fds, {runs} run dirs"
        )
    print(f"# log: {RESULTS / 'soak.log'}")


if __name__ == "__main__":
    main()
