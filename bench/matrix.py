"""Matrix kind benchmark: n x n float64 products (default n=1024) through the live service
against the same work done directly with numpy in this process, on the same cores, in one run.

Direct: generate A and B from their seeds and multiply, `--tasks` times, one after another with
numpy's own BLAS threads (all cores). Service: `--tasks` matrix tasks with the same seeds on
gunicorn (memory store, in-process threads: TASK_WORKERS tasks at once, each with its share of
the cores for BLAS), throughput from the service's own timestamps, results left in the store.

Usage: python bench/matrix.py [--n 1024] [--tasks 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live import RESULTS, gunicorn, machine, server_figures, wait_done

# The benchmark measures the work, not the rationing: the kind's anonymous limits out of reach.
ROOMY = {
    "QUOTA_ANON_MATRIX_DIMENSION": "100000",
    "QUOTA_ANON_MATRIX_ELEMENTS": "1000000000",
    "QUOTA_ANON_MATRIX_GFLOP": "100000",
    "ACCESS_LOG": "0",
}


def body(n: int, seed: int) -> dict:
    return {
        "kind": "matrix",
        "params": {"a": {"shape": [n, n], "seed": seed}, "b": {"shape": [n, n], "seed": seed + 1}},
    }


def direct(n: int, tasks: int) -> float:
    """Products per second done directly: the same generation and product as a task's."""
    started = time.perf_counter()
    for seed in range(tasks):
        a = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, n))
        b = np.random.default_rng(seed + 1).uniform(-1.0, 1.0, size=(n, n))
        np.matmul(a, b)
    return tasks / (time.perf_counter() - started)


def service(url: str, n: int, tasks: int) -> tuple[float, float]:
    """(products per second, median submit -> ready ms) through the service."""
    http = requests.Session()
    wait_done(http, url, http.post(f"{url}/task", json=body(n, 10_000), timeout=30).json()["task_id"])  # warm

    def submit(seed: int) -> str:
        return requests.post(f"{url}/task", json=body(n, seed), timeout=30).json()["task_id"]

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(submit, range(tasks)))
    statuses = [wait_done(http, url, task_id) for task_id in ids]
    assert all(status["status"] == "ready" for status in statuses), statuses[:1]
    rate, latencies = server_figures(statuses)
    return rate, statistics.median(latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--tasks", type=int, default=40)
    args = parser.parse_args()
    baseline = direct(args.n, args.tasks)
    with gunicorn(ROOMY, "matrix.log") as url:
        rate, p50 = service(url, args.n, args.tasks)
    again = direct(args.n, args.tasks)  # the machine is noisy: the baseline before and after
    best = max(baseline, again)
    print(f"machine: {machine()}; {args.tasks} products of {args.n}x{args.n} float64 (generated from seeds)")
    print(f"direct numpy: {baseline:.2f} and {again:.2f} products/s (before and after)")
    print(f"service: {rate:.2f} products/s, submit -> ready p50 {p50:.0f} ms")
    print(f"service / direct: {rate / best:.2f}x (target >= 0.85x)")
    summary = {"machine": machine(), "n": args.n, "tasks": args.tasks, "direct": [baseline, again], "service": rate}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "matrix.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
