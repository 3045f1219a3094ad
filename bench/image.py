"""Photo editor benchmark: five pipelines on a 1920x1080 and a 6000x4000 photo-like JPEG, through
the live service (2 task workers, quotas out of reach) against, in the same run, careful direct
Pillow (draft on open, reducing_gap) and direct pyvips (libvips: shrink-on-load, lazy), each in
1 and 2 processes. Per pipeline and photo: tasks/s of each, the service's ratio to the faster
direct library, and peak RSS per task (direct: one process's growth over the pipeline; service:
the gunicorn worker's peak growth while one task at a time runs).

Pipelines: p1 thumbnail 400 px wide -> JPEG q85; p2 resize 1280 wide -> gaussian blur sigma 2 ->
rotate 90 -> sharpen -> JPEG q85; p3 crop the centre 50% -> resize 50% -> PNG; p4 WebP q80;
p5 resize 960 wide -> sharpen -> grayscale -> JPEG q85.

Usage: python bench/image.py [--tasks 60] [--big-tasks 16] [--workers 2] [--only p1,p2]
pyvips needs libvips: apt-get install libvips42 (requirements-dev has pyvips); without it its
columns are left out.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import requests
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.live import RESULTS, machine, serve, server_figures, wait_done, worker_pid

try:
    import pyvips
except (ImportError, OSError):  # no libvips on this machine
    pyvips = None

GAP = 2.0
SHARPEN = [[-2, -2, -2], [-2, 32, -2], [-2, -2, -2]]  # Pillow's ImageFilter.SHARPEN, scale 16


def make_photo(width: int, height: int) -> bytes:
    """Smooth shapes plus sensor-like noise, so JPEG sizes and decode costs look like a photo's."""
    size = (width, height)
    base = Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 60)
    grain = Image.effect_noise(size, 24)
    red = Image.blend(base, grain, 0.3)
    green = Image.blend(base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grain, 0.25)
    blue = Image.linear_gradient("L").resize(size)
    buffer = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def service_steps(name: str, width: int, height: int) -> tuple[list[dict], dict]:
    """The service's filters and output for pipeline `name` on a photo of this size."""
    jpeg = {"format": "jpeg", "quality": 85}
    if name == "p1":
        return [{"op": "resize", "width": 400}], jpeg
    if name == "p2":
        steps = [
            {"op": "resize", "width": 1280},
            {"op": "blur", "radius": 2},
            {"op": "rotate", "degrees": 90, "expand": True},
            {"op": "sharpen"},
        ]
        return steps, jpeg
    if name == "p3":
        box = {"left": width // 4, "top": height // 4, "right": width * 3 // 4, "bottom": height * 3 // 4}
        return [{"op": "crop", **box}, {"op": "resize", "width": width // 4}], {"format": "png"}
    if name == "p4":
        return [], {"format": "webp", "quality": 80}
    return [{"op": "resize", "width": 960}, {"op": "sharpen"}, {"op": "grayscale"}], jpeg


def _shrunk(image: Image.Image, width: int) -> Image.Image:
    """Careful Pillow: decode at the DCT scale that leaves twice the output, then reduce + LANCZOS."""
    height = round(image.height * width / image.width)
    image.draft("RGB", (int(width * GAP), int(height * GAP)))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=GAP)


def _saved(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def pillow(name: str, data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data))
    if name == "p1":
        return _saved(_shrunk(image, 400), "JPEG", quality=85)
    if name == "p2":
        image = _shrunk(image, 1280).filter(ImageFilter.GaussianBlur(2)).transpose(Image.Transpose.ROTATE_90)
        return _saved(image.filter(ImageFilter.SHARPEN), "JPEG", quality=85)
    if name == "p3":  # the crop's half-size resize lets the decode run at 1/2 scale
        width, height = image.size
        image.draft("RGB", (width // 2, height // 2))
        scale = image.width / width
        box = [round(v * scale) for v in (width // 4, height // 4, width * 3 // 4, height * 3 // 4)]
        target = (width // 4, round((height * 3 // 4 - height // 4) * (width // 4) / (width * 3 // 4 - width // 4)))
        return _saved(image.crop(box).resize(target, Image.Resampling.LANCZOS, reducing_gap=GAP), "PNG")
    if name == "p4":
        return _saved(image, "WEBP", quality=80, method=4)
    return _saved(_shrunk(image, 960).filter(ImageFilter.SHARPEN).convert("L"), "JPEG", quality=85)


def vips(name: str, data: bytes) -> bytes:
    if name == "p1":
        return pyvips.Image.thumbnail_buffer(data, 400).jpegsave_buffer(Q=85)
    if name == "p2":
        image = pyvips.Image.thumbnail_buffer(data, 1280).gaussblur(2).copy_memory().rot90()  # rot90: random access
        return image.conv(pyvips.Image.new_from_array(SHARPEN, scale=16)).cast("uchar").jpegsave_buffer(Q=85)
    if name == "p3":
        image = pyvips.Image.new_from_buffer(data, "", access="sequential")
        width, height = image.width, image.height
        image = image.crop(width // 4, height // 4, width // 2, height // 2).resize(0.5)
        return image.pngsave_buffer()
    if name == "p4":
        return pyvips.Image.new_from_buffer(data, "").webpsave_buffer(Q=80)
    image = pyvips.Image.thumbnail_buffer(data, 960)
    image = image.conv(pyvips.Image.new_from_array(SHARPEN, scale=16)).cast("uchar").colourspace("b-w")
    return image.jpegsave_buffer(Q=85)


LIBRARIES: dict[str, Callable[[str, bytes], bytes]] = {"pillow": pillow, "pyvips": vips}


def _peak_rss(library: str, name: str, path: str) -> int:
    """KB a fresh process grows by, from after its imports to its peak, reading the photo and
    running the pipeline once (the service's figure holds the upload too)."""
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM restarts from the RSS now
    before = _status_kb(os.getpid(), "VmRSS")
    LIBRARIES[library](name, Path(path).read_bytes())
    return _status_kb(os.getpid(), "VmHWM") - before


def _one(args: tuple[str, str, bytes]) -> int:
    library, name, data = args
    return len(LIBRARIES[library](name, data))


def run_direct(library: str, name: str, data: bytes, tasks: int, workers: int) -> dict:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_one, [(library, name, data)] * workers))  # warm up: imports, process start
        started = time.perf_counter()
        list(pool.map(_one, [(library, name, data)] * tasks))
        elapsed = time.perf_counter() - started
    # Spawned, not forked (a fork starts with this process's pages mapped); the photo comes from
    # a file, so no argument's unpickling counts in its peak.
    with (
        tempfile.NamedTemporaryFile(suffix=".jpg") as photo,
        ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as fresh,
    ):
        photo.write(data)
        photo.flush()
        rss_kb = fresh.submit(_peak_rss, library, name, photo.name).result()
    return {"tasks_per_s": tasks / elapsed, "rss_kb": rss_kb}


def run_service(url: str, name: str, data: bytes, size: tuple[int, int], tasks: int) -> dict:
    """Tasks/s through HTTP with every task queued at once."""
    steps, output = service_steps(name, *size)
    form = {"kind": "image", "filters": json.dumps(steps), "output": json.dumps(output)}
    http = requests.Session()

    def submit(count: int) -> list[str]:
        with requests.Session() as client:
            return [
                client.post(f"{url}/task", data=form, files={"image": ("p.jpg", data)}, timeout=60).json()["task_id"]
                for _ in range(count)
            ]

    wait_done(http, url, submit(1)[0])  # warm up
    with ThreadPoolExecutor(4) as clients:
        batches = clients.map(submit, [tasks // 4 + (i < tasks % 4) for i in range(4)])
        ids = [task_id for batch in batches for task_id in batch]
    statuses = [wait_done(http, url, task_id) for task_id in ids]
    assert all(s["status"] == "ready" for s in statuses), [s for s in statuses if s["status"] != "ready"][:1]
    tasks_per_s, _ = server_figures(statuses)
    _delete(http, url, ids)
    return {"tasks_per_s": tasks_per_s}


def service_rss_kb(name: str, data: bytes, size: tuple[int, int]) -> int:
    """How much one task of the pipeline grows a fresh gunicorn worker (1 task worker) past its RSS
    after a warm-up on a tiny photo: a worker that ran many tasks keeps its freed memory mapped,
    so its later peaks say nothing about one task."""
    steps, output = service_steps(name, *size)
    tiny_steps, _ = service_steps(name, 64, 48)
    tiny = make_photo(64, 48)
    env = {"TASK_WORKERS": "1", "ACCESS_LOG": "0", "IMAGE_MAX_BYTES": str(64 << 20)}
    with serve(env, "image-rss-gunicorn.log") as (url, master):
        worker = worker_pid(master)
        http = requests.Session()

        def one(photo: bytes, filters: list[dict]) -> None:
            form = {"kind": "image", "filters": json.dumps(filters), "output": json.dumps(output)}
            task = http.post(f"{url}/task", data=form, files={"image": ("p.jpg", photo)}, timeout=60).json()
            assert wait_done(http, url, task["task_id"])["status"] == "ready"

        one(tiny, tiny_steps)
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # VmHWM restarts from the RSS now
        idle_kb = _status_kb(worker, "VmRSS")
        one(data, steps)
        return _status_kb(worker, "VmHWM") - idle_kb


def _delete(http: requests.Session, url: str, ids: list[str]) -> None:
    """The store's bytes are bounded (TASK_MAX_STORED_BYTES): what a figure made goes after it."""
    for task_id in ids:
        http.delete(f"{url}/task/{task_id}", timeout=30)


def _status_kb(pid: int, field: str) -> int:
    """VmRSS (now) or VmHWM (the peak since the last reset) of a process, in KB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=60, help="per pipeline on the 1920x1080 photo")
    parser.add_argument("--big-tasks", type=int, default=16, help="per pipeline on the 6000x4000 photo")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="p1,p2,p3,p4,p5")
    args = parser.parse_args()
    names = args.only.split(",")
    libraries = ["pillow", "pyvips"] if pyvips is not None else ["pillow"]
    versions = f"Pillow {Image.__version__}" + (
        f", libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}" if pyvips else ", no libvips"
    )
    print(f"machine: {machine()}; {versions}; service with {args.workers} task workers, direct in processes")
    photos = {"1920x1080": (1920, 1080), "6000x4000": (6000, 4000)}
    rows: list[dict] = []
    # Each queued 24 MP task reserves room for its largest possible result (a WebP of it: ~100 MB),
    # so 12 queued at once pass the store's 1 GiB and the 1 GB share of one caller.
    env = {"TASK_WORKERS": str(args.workers), "ACCESS_LOG": "0", "IMAGE_MAX_BYTES": str(64 << 20)}
    roomy = ("TASK_MAX_STORED_BYTES", "TASK_MAX_STORED_BYTES_PER_OWNER", "QUOTA_ANON_STORED_BYTES")
    env |= {name: str(16 << 30) for name in roomy}
    photo_data = {label: make_photo(*size) for label, size in photos.items()}
    with serve(env, "image-gunicorn.log") as (url, _master):
        for label, size in photos.items():
            data = photo_data[label]
            tasks = args.tasks if size[0] < 4000 else args.big_tasks
            print(f"\n{label} JPEG, {len(data):,} bytes, {tasks} tasks per figure; tasks/s")
            header = "pipeline  " + "".join(f"{lib + ' 1w':>12}{lib + ' 2w':>12}" for lib in libraries)
            print(f"{header}{'service':>10}{'vs faster':>11}")
            for name in names:
                row: dict = {"photo": label, "pipeline": name}
                for library in libraries:
                    for workers in (1, args.workers):
                        row[f"{library}_{workers}w"] = run_direct(library, name, data, tasks, workers)
                row["service"] = run_service(url, name, data, size, tasks)
                fastest = max(libraries, key=lambda lib: row[f"{lib}_{args.workers}w"]["tasks_per_s"])
                row["ratio"] = row["service"]["tasks_per_s"] / row[f"{fastest}_{args.workers}w"]["tasks_per_s"]
                row["faster"] = fastest
                rows.append(row)
                cells = "".join(
                    f"{row[f'{lib}_{w}w']['tasks_per_s']:12.1f}" for lib in libraries for w in (1, args.workers)
                )
                print(f"{name:10}{cells}{row['service']['tasks_per_s']:10.1f}{row['ratio']:10.2f}x ({fastest})")
    print("\npeak RSS growth of one task, MB (direct: a fresh process; service: a fresh worker after a warm-up)")
    print(
        f"{'photo':10}{'pipeline':10}"
        + "".join(f"{lib:>10}" for lib in libraries)
        + f"{'service':>10}{'vs faster':>11}"
    )
    for row in rows:
        row["service"]["rss_kb"] = service_rss_kb(row["pipeline"], photo_data[row["photo"]], photos[row["photo"]])
        fastest = row[f"{row['faster']}_{args.workers}w"]["rss_kb"]
        cells = "".join(f"{row[f'{lib}_{args.workers}w']['rss_kb'] / 1024:10.1f}" for lib in libraries)
        share = row["service"]["rss_kb"] / max(fastest, 1024)
        print(f"{row['photo']:10}{row['pipeline']:10}{cells}{row['service']['rss_kb'] / 1024:10.1f}{share:10.2f}x")
    scaling = [
        row[f"{lib}_{args.workers}w"]["tasks_per_s"] / row[f"{lib}_1w"]["tasks_per_s"]
        for row in rows
        for lib in libraries
    ]
    print(f"\n1 -> {args.workers} process scaling of the direct libraries: median {statistics.median(scaling):.2f}x")
    print("target: service >= 0.85x the faster library on every pipeline; RSS per task <= 1.5x the faster one's")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "image.json").write_text(
        json.dumps({"machine": machine(), "versions": versions, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
