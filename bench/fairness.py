"""Queue wait of a small task under heavy neighbours, on the default setup (memory + threads).

Four neighbours (anonymous callers 127.0.0.2-5) each queue `--backlog` Python tasks that burn
`--burn` s of CPU; then a fifth caller (127.0.0.1) submits `print(1)`. The same small task is
first measured on the idle service: the baseline of the same run. Reported: submit -> ready of
the small task (the service's own timestamps), and how many neighbour tasks started before it.
With one FIFO queue it waited for every queued task; with owners taking turns, for about one
task per neighbour. Loopback only; bounded by the backlog.

    python bench/fairness.py [--backlog 10] [--burn 0.3] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskservice.settings")

from bench.live import RESULTS, gunicorn, machine

NEIGHBOURS = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]


def call(url: str, address: str, method: str, path: str, body: dict | None = None) -> dict:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60, source_address=(address, 0))
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return json.loads(response.read())
    finally:
        connection.close()


def code(source: str) -> dict:
    return {"kind": "code", "params": {"language": "python", "source": source, "limits": {"time_s": 5}}}


def wait(url: str, task_id: str) -> dict:
    while (status := call(url, "127.0.0.1", "GET", f"/status/{task_id}"))["status"] == "in_progress":
        time.sleep(0.02)
    return status


def seconds(status: dict, start: str = "created_at", end: str = "finished_at") -> float:
    return (datetime.fromisoformat(status[end]) - datetime.fromisoformat(status[start])).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=10, help="tasks each neighbour queues")
    parser.add_argument("--burn", type=float, default=0.3, help="CPU seconds each neighbour task burns")
    parser.add_argument("--workers", type=int, default=2, help="TASK_WORKERS")
    args = parser.parse_args()
    burn = code(f"import time\nend = time.process_time() + {args.burn}\nwhile time.process_time() < end: pass")
    small = code("print(1)")
    with gunicorn({"TASK_WORKERS": str(args.workers), "ACCESS_LOG": "0"}, "fairness-gunicorn.log") as url:
        wait(url, call(url, "127.0.0.1", "POST", "/task", small)["task_id"])  # warm up
        idle = wait(url, call(url, "127.0.0.1", "POST", "/task", small)["task_id"])
        backlog = [
            call(url, neighbour, "POST", "/task", burn)["task_id"]
            for _ in range(args.backlog)
            for neighbour in NEIGHBOURS
        ]
        loaded = wait(url, call(url, "127.0.0.1", "POST", "/task", small)["task_id"])
        theirs = [wait(url, task_id) for task_id in backlog]
    ahead = sum(1 for task in theirs if task["started_at"] < loaded["started_at"])
    figures = {
        "machine": machine(),
        "workers": args.workers,
        "neighbour_tasks_queued": len(backlog),
        "neighbour_task_cpu_s": args.burn,
        "small_task_idle_s": round(seconds(idle), 3),
        "small_task_under_neighbours_s": round(seconds(loaded), 3),
        "small_task_queue_wait_s": round(seconds(loaded, "created_at", "started_at"), 3),
        "neighbour_tasks_started_before_it": ahead,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fairness.json").write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
