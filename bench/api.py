"""API benchmark: requests/s and p50/p99 latency of `POST /task` and `GET /status/{id}` against
a bare DRF APIView baseline, all through one live gunicorn (shipped config) in the same run.
Each is measured anonymously and with an API key (one key lookup in SQLite per request), with
every quota check running (the limits are set out of reach so that none refuses).

Load comes from wrk (apt-get install wrk), which costs the 2-core machine far less CPU than a
Python client would. Rounds are interleaved and the median round is reported, because these
machines are noisy.

Then waiting against polling: 200 clients at once each submit a 1 s `sleep` task and follow it to
the end, either polling `GET /status/{id}` every 0.5 s or asking `GET /status/{id}?wait=30` (and
once more `POST /task` with `Prefer: wait=30`). 8 tasks run at a time, so most of a client's time
is queueing, as it is on a busy service. Reported: requests and server CPU per finished task, and
how long after its finish a client learnt of it.

Usage: python bench/api.py [--seconds 5] [--rounds 3] [--connections 16] [--only wrk|wait]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live import RESULTS, ROOT, KeepAlive, gunicorn, machine, serve, worker_pid

SUBMIT_BODY = '{"kind": "sleep", "params": {"seconds": 0}}'
TARGETS = {"GET /status/{id}": 0.85, "POST /task": 0.6}
WAIT_TASKS, WAIT_RUNNING, POLL_SECONDS = 200, 8, 0.5
WAIT_TARGET = 5.0  # polling's requests per task over waiting's


def wrk_script(key: str | None, post: bool) -> str | None:
    """A wrk Lua script: the submit body, and the bearer key if any."""
    lines = ['wrk.method = "POST"', f"wrk.body = '{SUBMIT_BODY}'", 'wrk.headers["Content-Type"] = "application/json"']
    lines = lines if post else []
    if key:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {key}"')
    return "\n".join(lines) or None


def api_key(data_dir: str) -> str:
    """A key for user `bench` in the server's SQLite database (migrated when gunicorn started)."""
    env = {**os.environ, "DATA_DIR": data_dir, "DATABASE_URL": ""}
    command = [sys.executable, "manage.py", "create_api_key", "bench", "--create-user"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()


def submit(url: str, key: str | None) -> str:
    request = urllib.request.Request(url + "/task", data=SUBMIT_BODY.encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    return json.loads(urllib.request.urlopen(request).read())["task_id"]


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, seconds: int, connections: int, script: str | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        if script:
            lua.write(script)
            lua.flush()
            command[1:1] = ["-s", lua.name]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = {p: float(v) * UNITS[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "errors": int(errors.group(1)) if errors else 0,
    }


def median_round(rounds: list[dict[str, float]]) -> dict[str, float]:
    middle = statistics.median(r["rps"] for r in rounds)
    return min(rounds, key=lambda r: abs(r["rps"] - middle))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def follow(url: str, mode: str) -> tuple[int, float]:
    """One client's task, from submit to its end: (requests made, seconds from finish to knowing)."""
    client, body = KeepAlive(url), {"kind": "sleep", "params": {"seconds": 1}}
    if mode == "prefer":
        status, requests = client.call("POST", "/task", body, {"Prefer": "wait=30"}), 1
    else:
        status, requests = client.call("POST", "/task", body), 1
    while status["status"] == "in_progress":
        if mode == "poll":
            time.sleep(POLL_SECONDS)
        query = "" if mode == "poll" else "?wait=30"
        status, requests = client.call("GET", f"/status/{status['task_id']}{query}"), requests + 1
    finished = datetime.fromisoformat(status["finished_at"].replace("Z", "+00:00")).timestamp()
    return requests, time.time() - finished


def waiting_against_polling() -> dict[str, dict[str, float]]:
    env = {"ACCESS_LOG": "0", "DATABASE_URL": "", "TASK_WORKERS": str(WAIT_RUNNING)}
    env |= {"TASK_MAX_WAITERS": str(WAIT_TASKS), "TASK_MAX_WAITERS_PER_OWNER": str(WAIT_TASKS)}
    figures = {}
    with serve(env, "api-wait-gunicorn.log") as (url, master):
        worker = worker_pid(master)
        for mode in ("poll", "wait", "prefer", "poll"):  # polling before and after: a noisy machine
            cpu, started = cpu_seconds(worker), time.monotonic()
            with ThreadPoolExecutor(WAIT_TASKS) as pool:
                outcomes = list(pool.map(follow, [url] * WAIT_TASKS, [mode] * WAIT_TASKS))
            requests = sum(count for count, _ in outcomes)
            figures.setdefault(mode, []).append(
                {
                    "requests_per_task": requests / WAIT_TASKS,
                    "cpu_ms_per_task": 1000 * (cpu_seconds(worker) - cpu) / WAIT_TASKS,
                    "notice_p50_ms": 1000 * statistics.median(lag for _, lag in outcomes),
                    "seconds": time.monotonic() - started,
                }
            )
    return {mode: min(runs, key=lambda run: run["requests_per_task"]) for mode, runs in figures.items()}


def print_waiting(figures: dict[str, dict[str, float]]) -> None:
    print(f"\n{WAIT_TASKS} clients, a 1 s task each, {WAIT_RUNNING} running at a time (the best of 2 polling runs)")
    print(f"{'mode':34} {'requests/task':>14} {'CPU ms/task':>12} {'finish->known p50 ms':>21}")
    names = {
        "poll": f"poll every {POLL_SECONDS} s",
        "wait": "GET /status?wait=30",
        "prefer": "POST /task Prefer: wait=30",
    }
    for mode, name in names.items():
        run = figures[mode]
        print(f"{name:34} {run['requests_per_task']:14.2f} {run['cpu_ms_per_task']:12.2f} {run['notice_p50_ms']:21.1f}")
    ratio = figures["poll"]["requests_per_task"] / figures["wait"]["requests_per_task"]
    verdict = ">=" if ratio >= WAIT_TARGET else "<"
    print(
        f"polling / waiting: {ratio:.1f}x the requests (target {verdict} {WAIT_TARGET:.0f}x), "
        f"{figures['poll']['cpu_ms_per_task'] / figures['wait']['cpu_ms_per_task']:.1f}x the CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", choices=["wrk", "wait"])
    args = parser.parse_args()
    if args.only != "wait":
        wrk_benchmark(args)
    if args.only != "wrk":
        figures = waiting_against_polling()
        print_waiting(figures)
        (RESULTS / "api-wait.json").write_text(json.dumps({"machine": machine(), "figures": figures}, indent=2))


def wrk_benchmark(args: argparse.Namespace) -> None:
    if not shutil.which("wrk"):
        sys.exit("bench/api.py needs wrk: apt-get install wrk")

    data_dir = tempfile.mkdtemp(prefix="bench-api-")
    env = {"BENCH_ENDPOINTS": "1", "ACCESS_LOG": "0", "DATA_DIR": data_dir, "DATABASE_URL": ""}
    with gunicorn(env, "api-gunicorn.log") as url:
        key = api_key(data_dir)
        anonymous_task, keyed_task = submit(url, None), submit(url, key)
        scenarios = {
            "baseline GET (bare APIView)": (url + "/bench/baseline", None),
            "GET /status/{id}": (f"{url}/status/{anonymous_task}", None),
            "GET /status/{id} with key": (f"{url}/status/{keyed_task}", wrk_script(key, post=False)),
            "POST /task": (url + "/task", wrk_script(None, post=True)),
            "POST /task with key": (url + "/task", wrk_script(key, post=True)),
        }
        for target, script in scenarios.values():  # warm up every path once
            wrk(target, 1, args.connections, script)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in scenarios}
        for _ in range(args.rounds):
            for name, (target, script) in scenarios.items():
                runs[name].append(wrk(target, args.seconds, args.connections, script))

    median = {name: median_round(rounds) for name, rounds in runs.items()}
    base = median["baseline GET (bare APIView)"]["rps"]
    print(f"\nmachine: {machine()}; wrk -t2 -c{args.connections}, {args.rounds} rounds x {args.seconds}s, median round")
    print(f"{'endpoint':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs baseline':>12} {'target':>7}")
    for name, result in median.items():
        ratio = result["rps"] / base
        target = TARGETS.get(name.removesuffix(" with key"))
        verdict = "" if target is None else f"{'>=' if ratio >= target else '<'}{target:.2f}"
        print(
            f"{name:32} {result['rps']:9.0f} {result['p50_ms']:8.2f} {result['p99_ms']:8.2f} "
            f"{result['errors']:7d} {ratio:11.2f}x {verdict:>7}"
        )
    (RESULTS / "api.json").write_text(json.dumps({"machine": machine(), "runs": runs, "median": median}, indent=2))
    if any(r["errors"] for r in median.values()):
        sys.exit("some requests failed; see bench/results/api-gunicorn.log")


if __name__ == "__main__":
    main()
