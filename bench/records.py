"""Records benchmark, per store (memory, postgres): the load client's workload for a fixed time
(inserts/s, deletes/s, errors) in both its styles (one object per POST, as the seed author's
client sends, then batches of 10..100), then GET /all timed with 100,000 and 1,000,000 records, with the
server's resident memory before and its peak during the stream.

Usage: python bench/records.py [--seconds 10] [--sizes 100000 1000000]   (postgres needs the local server)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live import RESULTS, ROOT, machine, serve, worker_pid
from records.client import RecordsClient

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "taskservice_records_bench"


def store_env(store: str) -> dict[str, str]:
    if store == "memory":
        return {"TASK_STORE": "memory", "ACCESS_LOG": "0"}
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    env = {
        "TASK_STORE": "postgres",
        "ACCESS_LOG": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env={**os.environ, **env}, check=True)
    return env


def memory_kb(pid: int, field: str) -> int:
    return int(Path(f"/proc/{pid}/status").read_text().split(f"{field}:")[1].split()[0])


def fill(url: str, total: int, have: int) -> int:
    """Add records until the store holds `total` (none if a fast client already put more there);
    returns how many it holds now."""
    http = requests.Session()
    while have < total:
        batch = [{"text": f"{have + i:016d}"} for i in range(min(1000, total - have))]
        http.post(f"{url}/new", json=batch, timeout=120).raise_for_status()
        have += len(batch)
    return have


def time_all(url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    size, records = 0, 0
    with requests.get(f"{url}/all", stream=True, timeout=600) as response:
        for chunk in response.iter_content(65536):
            size += len(chunk)
            records += chunk.count(b'"uuid"')
    return time.perf_counter() - started, records, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--stores", nargs="+", default=["memory", "postgres"])
    args = parser.parse_args()
    results: dict[str, dict] = {}
    for store in args.stores:
        with serve(store_env(store), f"records-{store}.log") as (url, master):
            row: dict = {"all": {}}
            for style in ("single", "batch"):
                client = RecordsClient(url, concurrency=2, report_every=3600, style=style)
                counters = asyncio.run(client.run(args.seconds))
                row[style] = {
                    "inserts_per_s": counters.inserted / args.seconds,
                    "deletes_per_s": counters.deleted / args.seconds,
                    "errors": counters.errors,
                }
            have = len(requests.get(f"{url}/all", timeout=120).json())
            pid = worker_pid(master)  # of the server started here, not any gunicorn on the machine
            for size in sorted(args.sizes):
                have = fill(url, size, have)
                rss_before = memory_kb(pid, "VmRSS")
                Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
                seconds, records, size_bytes = time_all(url)
                row["all"][size] = {
                    "seconds": seconds,
                    "records": records,
                    "mb": size_bytes / 1e6,
                    "rss_before_mb": rss_before / 1024,
                    "peak_during_mb": memory_kb(pid, "VmHWM") / 1024,
                }
            results[store] = row
    print(f"machine: {machine()}; client workload {args.seconds:g}s, concurrency 2")
    print(f"{'store':9} {'client':7} {'inserts/s':>10} {'deletes/s':>10} {'errors':>7}")
    for store, row in results.items():
        for style in ("single", "batch"):
            figures = row[style]
            print(
                f"{store:9} {style:7} {figures['inserts_per_s']:10.0f} {figures['deletes_per_s']:10.0f} "
                f"{figures['errors']:7d}"
            )
    print(f"{'store':9} {'records':>9} {'GET /all s':>10} {'MB':>7} {'RSS before MB':>14} {'peak during MB':>15}")
    for store, row in results.items():
        for _, figures in row["all"].items():
            print(
                f"{store:9} {figures['records']:9d} {figures['seconds']:10.2f} {figures['mb']:7.1f} "
                f"{figures['rss_before_mb']:14.0f} {figures['peak_during_mb']:15.0f}"
            )
    (RESULTS / "records.json").write_text(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
