"""Photo editor benchmark: N tasks (default 200) on a 1920x1080 photo-like JPEG with the
pipeline resize -> sharpen -> grayscale -> JPEG, through the live service, against the same
pipeline called directly with Pillow in the same run: 1 worker, and TASK_WORKERS workers as
threads and as processes (the best of those is the machine's limit, "direct").

Usage: python bench/image.py [--tasks 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live import RESULTS, gunicorn, machine, percentile, server_figures, wait_done

STEPS = [{"op": "resize", "width": 960}, {"op": "sharpen"}, {"op": "grayscale"}]
OUTPUT = {"format": "jpeg", "quality": 85}


def make_photo() -> bytes:
    """Smooth shapes plus sensor-like noise, so JPEG sizes and decode costs look like a photo's."""
    size = (1920, 1080)
    base = Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 60)
    grain = Image.effect_noise(size, 24)
    red = Image.blend(base, grain, 0.3)
    green = Image.blend(base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grain, 0.25)
    blue = Image.linear_gradient("L").resize(size)
    buffer = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def direct_pipeline(data: bytes) -> bytes:
    """The same work with plain Pillow and nothing else: decode, resize, sharpen, grayscale, encode.
    (The photo is RGB with no EXIF orientation, so there is nothing to transpose or convert.)"""
    image = Image.open(io.BytesIO(data))
    height = round(image.height * 960 / image.width)
    image = image.resize((960, height), Image.Resampling.LANCZOS).filter(ImageFilter.SHARPEN).convert("L")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def run_direct(data: bytes, tasks: int, workers: int, pool: str) -> dict:
    executor = ProcessPoolExecutor if pool == "processes" else ThreadPoolExecutor
    with executor(workers) as runner:
        list(runner.map(direct_pipeline, [data] * workers))  # warm up (process start, imports)
        latencies: list[float] = []

        def timed(_: int) -> float:
            started = time.perf_counter()
            direct_pipeline(data)
            return time.perf_counter() - started

        started = time.perf_counter()
        if pool == "processes":
            list(runner.map(direct_pipeline, [data] * tasks, chunksize=4))
        else:
            latencies = list(runner.map(timed, range(tasks)))
        elapsed = time.perf_counter() - started
    return {"tasks_per_s": tasks / elapsed, "latency_ms": [1000 * x for x in latencies]}


def run_service(data: bytes, tasks: int, workers: int) -> dict:
    env = {"TASK_WORKERS": str(workers), "ACCESS_LOG": "0"}
    with gunicorn(env, "image-gunicorn.log") as url:
        form = {"kind": "image", "filters": json.dumps(STEPS), "output": json.dumps(OUTPUT)}
        warm = requests.post(f"{url}/task", data=form, files={"image": ("p.jpg", data)}, timeout=30).json()
        wait_done(requests.Session(), url, warm["task_id"])

        def submit(count: int) -> list[str]:
            with requests.Session() as http:
                return [
                    http.post(f"{url}/task", data=form, files={"image": ("p.jpg", data)}, timeout=30).json()["task_id"]
                    for _ in range(count)
                ]

        started = time.perf_counter()
        with ThreadPoolExecutor(4) as clients:
            ids = [
                task_id
                for batch in clients.map(submit, [tasks // 4 + (i < tasks % 4) for i in range(4)])
                for task_id in batch
            ]
        http = requests.Session()
        statuses = [wait_done(http, url, task_id) for task_id in ids]
        wall = time.perf_counter() - started
        sizes = [len(http.get(f"{url}/result/{task_id}", timeout=30).content) for task_id in ids[:5]]
    assert all(s["status"] == "ready" for s in statuses), [s for s in statuses if s["status"] != "ready"][:1]
    tasks_per_s, latencies = server_figures(statuses)
    return {"tasks_per_s": tasks_per_s, "client_wall_s": wall, "latency_ms": latencies, "result_bytes": sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    data = make_photo()
    print(f"machine: {machine()}; {args.tasks} tasks, 1920x1080 JPEG of {len(data):,} bytes, {args.workers} workers")

    rows = {
        "direct, 1 worker": run_direct(data, args.tasks, 1, "threads"),
        f"direct, {args.workers} threads": run_direct(data, args.tasks, args.workers, "threads"),
        f"direct, {args.workers} processes": run_direct(data, args.tasks, args.workers, "processes"),
        f"service, {args.workers} task workers": run_service(data, args.tasks, args.workers),
    }
    single = rows["direct, 1 worker"]["tasks_per_s"]
    best_direct = max(v["tasks_per_s"] for k, v in rows.items() if k.startswith("direct") and k != "direct, 1 worker")
    print(f"{'setup':28} {'tasks/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs 1 worker':>12} {'vs direct':>10}")
    for name, row in rows.items():
        lat = row["latency_ms"]
        p50 = f"{statistics.median(lat):8.1f}" if lat else f"{'-':>8}"
        p99 = f"{percentile(lat, 0.99):8.1f}" if lat else f"{'-':>8}"
        print(
            f"{name:28} {row['tasks_per_s']:8.1f} {p50} {p99} {row['tasks_per_s'] / single:11.2f}x "
            f"{row['tasks_per_s'] / best_direct:9.2f}x"
        )
    service = rows[f"service, {args.workers} task workers"]
    print(f"service latency is submit -> ready (queueing included); client wall time {service['client_wall_s']:.1f}s")
    print("targets: service >= 0.85x direct; direct/service close to 2x of 1 worker on 2 cores")
    (RESULTS / "image.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
