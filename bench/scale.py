"""Scaling benchmark: end-to-end throughput (submit -> ready) of tiny tasks and of the image
pipeline in three setups measured in one run: memory+threads, postgres+celery with 1 worker,
and postgres+celery with 2 workers; against a bare Celery app (bench/bare_celery.py) and a bare
PostgreSQL-native queue (bench/bare_procrastinate.py), each with 1 and 2 worker processes, with
the service's PostgreSQL statements and Redis commands per tiny task counted, and against the
conventional peer (bench/peers/conventional: Django + DRF +
Celery + django-celery-results, 2 gunicorn and 2 Celery processes on the same PostgreSQL and
Redis), measured in the same run. Needs the local PostgreSQL and Redis.

Usage: python bench/scale.py [--tiny 300] [--images 60]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cpu import cpu_per_task
from bench.image import make_photo, run_direct, service_steps
from bench.live import RESULTS, ROOT, KeepAlive, free_port, gunicorn, machine, percentile, server_figures, wait_done

DATABASE = "taskservice_bench"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
BROKER = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# Throughput comes from the service's own timestamps, so how often the client polls changes only
# the load it adds on the shared cores; bare Celery's result.get() waits on a pub/sub channel.
POLL_SECONDS = 0.25


def start_afresh(database: str, broker: str | None) -> None:
    """An empty PostgreSQL database of that name and an empty Redis database for the broker."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{database}"')
    if broker is not None:
        redis.Redis.from_url(broker).flushdb()


@contextmanager
def celery_setup(workers: int) -> Iterator[dict[str, str]]:
    """A fresh database and broker queue, migrations, and `workers` Celery worker processes."""
    start_afresh(DATABASE, BROKER)
    env = {
        **os.environ,
        "TASK_STORE": "postgres",
        "TASK_EXECUTOR": "celery",
        "ACCESS_LOG": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "CELERY_BROKER_URL": BROKER,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with celery_workers("taskservice", workers, env, "scale-worker"):
        yield {key: env[key] for key in ("TASK_STORE", "TASK_EXECUTOR", "DATABASE_URL", "CELERY_BROKER_URL")}


@contextmanager
def celery_workers(app: str, workers: int, env: dict[str, str], log_name: str) -> Iterator[None]:
    """`workers` Celery worker processes of `app`, one pool process each; stopped afterwards."""
    celery = [sys.executable, "-m", "celery", "-A", app, "worker", "-l", "warning", "--concurrency", "1"]
    quiet = ["--without-gossip", "--without-mingle"]
    with worker_processes([[*celery, "-n", f"{log_name}{n}@%h", *quiet] for n in range(workers)], env, log_name):
        yield


@contextmanager
def worker_processes(commands: list[list[str]], env: dict[str, str], log_name: str) -> Iterator[None]:
    """One process per command, each with a log of its own; all stopped afterwards."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    processes = []
    for n, command in enumerate(commands):
        log = (RESULTS / f"{log_name}{n}.log").open("wb")
        processes.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True))
    try:
        yield
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(30)


def bare_celery(workers: int, count: int) -> dict:
    """Tasks/s and CPU ms per task of the bare Celery baseline (bench/bare_celery.py): submit
    `count` no-ops from 4 threads, as `measure` does, and wait for every result."""
    from bench import bare_celery as bare

    redis.Redis.from_url(bare.URL).flushdb()
    with celery_workers("bench.bare_celery", workers, dict(os.environ), "bare-worker"):
        bare.noop.delay().get(timeout=60)  # every worker up (the first answer) and warm
        with cpu_per_task(count) as cpu_ms:
            started = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                pending = list(pool.map(lambda _: bare.noop.delay(), range(count)))
            for result in pending:
                result.get(timeout=120)
            elapsed = time.perf_counter() - started
        return {"tasks_per_s": count / elapsed, "cpu_ms": cpu_ms}


def bare_procrastinate(workers: int, count: int) -> dict:
    """`bare_celery` for the PostgreSQL-native queue (bench/bare_procrastinate.py) on a fresh
    database: `count` no-ops deferred from 4 threads, done when the last job row says so."""
    from bench import bare_procrastinate as bare

    start_afresh(bare.URL.rsplit("/", 1)[1], None)
    with bare.app.open():
        bare.app.schema_manager.apply_schema()
    env = {**os.environ, "BARE_PROCRASTINATE_URL": bare.URL}
    worker = [sys.executable, "-m", "procrastinate", "--log-level", "warning", "--app", "bench.bare_procrastinate.app"]
    commands = [[*worker, "worker", "--concurrency", "1", "--name", f"bare{n}"] for n in range(workers)]
    with worker_processes(commands, env, "procrastinate-worker"), bare.app.open(), psycopg.connect(bare.URL) as db:

        def wait_for(done: int) -> None:
            deadline = time.monotonic() + 120
            query = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
            while db.execute(query).fetchone()[0] < done:
                assert time.monotonic() < deadline, "procrastinate's workers did not finish the jobs"
                time.sleep(0.05)
                db.commit()

        bare.noop.defer()
        wait_for(1)  # every worker up and warm
        with cpu_per_task(count) as cpu_ms:
            started = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda _: bare.noop.defer(), range(count)))
            wait_for(1 + count)
            elapsed = time.perf_counter() - started
        return {"tasks_per_s": count / elapsed, "cpu_ms": cpu_ms}


PEER_DATABASE = "peer_bench"
PEER_REDIS = os.environ.get("BENCH_PEER_REDIS_URL", "redis://127.0.0.1:6379/11")


@contextmanager
def conventional_peer(workers: int) -> Iterator[str]:
    """bench/peers/conventional on a fresh, migrated database: 2 gunicorn sync workers (gunicorn's
    default kind) and `workers` Celery worker processes. Yields its URL."""
    start_afresh(PEER_DATABASE, PEER_REDIS)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.peers.conventional.settings",
        "PEER_DATABASE_URL": PG_ADMIN.rsplit("/", 1)[0] + f"/{PEER_DATABASE}",
        "PEER_REDIS_URL": PEER_REDIS,
    }
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "bench.peers.conventional.wsgi"]
    with (RESULTS / "peer-gunicorn.log").open("wb") as log:
        web = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        with celery_workers("bench.peers.conventional", workers, env, "peer-worker"):
            deadline = time.monotonic() + 60
            while True:
                try:
                    requests.get(f"{url}/status/warm", timeout=5).raise_for_status()
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline or web.poll() is not None:
                        raise RuntimeError(f"the peer did not start; see {RESULTS / 'peer-gunicorn.log'}") from None
                    time.sleep(0.2)
            yield url
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(30)


def measure_peer(url: str, bodies: list[dict]) -> dict:
    """As `measure`, for the peer: its status is Celery's (`PENDING` ... `SUCCESS`)."""
    submit = submitter(url)

    def finished(poller: KeepAlive, task_id: str) -> str:
        while (state := poller.call("GET", f"/status/{task_id}")["status"]) not in ("SUCCESS", "FAILURE"):
            time.sleep(POLL_SECONDS)
        return state

    warm = KeepAlive(url)
    finished(warm, submit(bodies[0]))
    with cpu_per_task(len(bodies)) as cpu_ms:
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(submit, bodies))
        states = [finished(warm, task_id) for task_id in ids]
        elapsed = time.perf_counter() - started
    assert set(states) == {"SUCCESS"}, states[:3]
    return {"wall_tasks_per_s": len(bodies) / elapsed, "cpu_ms": cpu_ms}


def lone_latency(url: str, body: dict, rounds: int = 20) -> float:
    """Median submit -> ready of one task at a time on an idle service, by the server's clock."""
    http = requests.Session()
    latencies = []
    for _ in range(rounds):
        task_id = http.post(f"{url}/task", json=body, timeout=60).json()["task_id"]
        _, [latency] = server_figures([wait_done(http, url, task_id)])
        latencies.append(latency)
    return statistics.median(latencies)


def submitter(url: str) -> Callable[[dict], str]:
    """`POST /task` of a body, answering its id: one kept-alive connection per client thread."""
    clients = threading.local()

    def submit(body: dict) -> str:
        if not hasattr(clients, "http"):
            clients.http = KeepAlive(url)
        return clients.http.call("POST", "/task", body)["task_id"]

    return submit


def measure(url: str, bodies: list[dict]) -> dict:
    submit = submitter(url)
    warm = submit(bodies[0])
    wait_done(requests.Session(), url, warm)
    with cpu_per_task(len(bodies)) as cpu_ms:
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(submit, bodies))
        poller = KeepAlive(url)
        statuses = [poller.wait_done(task_id, POLL_SECONDS) for task_id in ids]
        elapsed = time.perf_counter() - started
    assert all(s["status"] == "ready" for s in statuses), [s for s in statuses if s["status"] != "ready"][:1]
    tasks_per_s, latencies = server_figures(statuses)
    return {
        "tasks_per_s": tasks_per_s,
        "wall_tasks_per_s": len(bodies) / elapsed,  # by the client's clock, as the peer is measured
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "cpu_ms": cpu_ms,
    }


def round_trips(url: str, database: str, count: int = 100) -> dict[str, float]:
    """PostgreSQL transactions (each autocommit statement is one) and Redis commands per tiny task:
    its submit, its run and one `?wait=10` status read (as clients are told to wait), one task at
    a time. PostgreSQL publishes a backend's counts once it has been idle a while, so the
    figures are read after 12 s of quiet."""
    body = {"kind": "sleep", "params": {"seconds": 0}}
    broker = redis.Redis.from_url(BROKER)

    def counters() -> tuple[int, int]:
        with psycopg.connect(PG_ADMIN) as connection:
            query = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s"
            [transactions] = connection.execute(query, [database]).fetchone()
        return transactions, sum(stats["calls"] for stats in broker.info("commandstats").values())

    time.sleep(12)
    before = counters()
    http = KeepAlive(url)
    for _ in range(count):
        task_id = http.call("POST", "/task", body)["task_id"]
        assert http.call("GET", f"/status/{task_id}?wait=10")["status"] == "ready"
    time.sleep(12)
    after = counters()
    return {  # the two counters() calls are a transaction and an INFO each
        "postgresql": (after[0] - before[0] - 2) / count,
        "redis": (after[1] - before[1] - 2) / count,
    }


def print_cpu(workload: str, figures: dict[str, dict[str, float]]) -> None:
    """Where a task's CPU went, and how many such tasks a second all the cores could take."""
    cores = os.cpu_count() or 1
    print(f"CPU ms per task, {workload}; the ceiling is {cores} cores' {cores * 1000} ms a second over the total:")
    columns = ("web", "workers", "postgres", "redis", "client", "total", "ceiling")
    print(f"{'setup':30} " + " ".join(f"{name:>8}" for name in columns))
    for setup, ms in figures.items():
        cells = [ms[name] for name in ("web", "workers", "postgresql", "redis", "client", "total")]
        print(f"{setup:30} " + " ".join(f"{value:8.2f}" for value in cells) + f" {cores * 1000 / ms['total']:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", type=int, default=300)
    parser.add_argument("--images", type=int, default=60)
    args = parser.parse_args()
    photo = make_photo(1920, 1080)
    image = base64.b64encode(photo).decode()
    steps, output = service_steps("p5", 1920, 1080)  # resize 960 -> sharpen -> grayscale -> JPEG
    workloads = {
        "tiny (sleep 0)": [{"kind": "sleep", "params": {"seconds": 0}}] * args.tiny,
        "image pipeline": [{"kind": "image", "params": {"image": image, "filters": steps, "output": output}}]
        * args.images,
    }
    results: dict[str, dict[str, dict]] = {}
    bare = {workers: bare_celery(workers, args.tiny) for workers in (1, 2)}
    native = {workers: bare_procrastinate(workers, args.tiny) for workers in (1, 2)}
    # The same pipeline in careful Pillow (the service's library), in 1 and 2 processes: the
    # scaling the machine itself allows, which the Celery path's is held to.
    direct = {workers: run_direct("pillow", "p5", photo, args.images, workers)["tasks_per_s"] for workers in (1, 2)}
    trips: dict[int, dict[str, float]] = {}
    lone: dict[int, float] = {}
    with gunicorn({"ACCESS_LOG": "0"}, "scale-memory.log") as url:
        results["memory + threads (2)"] = {name: measure(url, bodies) for name, bodies in workloads.items()}
    for workers in (1, 2):
        with (
            celery_setup(workers) as env,
            gunicorn({**env, "WEB_CONCURRENCY": "2"}, f"scale-celery{workers}.log") as url,
        ):
            results[f"postgres + celery, {workers} worker{'s' * (workers > 1)}"] = {
                name: measure(url, bodies) for name, bodies in workloads.items()
            }
            lone[workers] = lone_latency(url, workloads["tiny (sleep 0)"][0])
            trips[workers] = round_trips(url, DATABASE)
    with conventional_peer(2) as url:
        peer = {name: measure_peer(url, bodies) for name, bodies in workloads.items()}
    print(f"machine: {machine()}; {args.tiny} tiny tasks, {args.images} image tasks (1920x1080)")
    print(f"{'setup':30} {'workload':16} {'tasks/s':>8} {'p50 ms':>9} {'p99 ms':>9}")
    for setup, rows in results.items():
        for workload, row in rows.items():
            print(f"{setup:30} {workload:16} {row['tasks_per_s']:8.1f} {row['p50_ms']:9.1f} {row['p99_ms']:9.1f}")
    bare_cpu = {f"bare Celery, {n} worker{'s' * (n > 1)}": bare[n]["cpu_ms"] for n in (1, 2)}
    bare_cpu |= {f"bare procrastinate, {n} worker{'s' * (n > 1)}": native[n]["cpu_ms"] for n in (1, 2)}
    print_cpu("tiny (sleep 0)", bare_cpu | {setup: rows["tiny (sleep 0)"]["cpu_ms"] for setup, rows in results.items()})
    print_cpu("image pipeline", {setup: rows["image pipeline"]["cpu_ms"] for setup, rows in results.items()})
    for workers in (1, 2):
        ours = results[f"postgres + celery, {workers} worker{'s' * (workers > 1)}"]["tiny (sleep 0)"]["tasks_per_s"]
        baseline = bare[workers]["tasks_per_s"]
        print(
            f"bare Celery, {workers} worker process{'es' * (workers > 1)}: {baseline:.1f} tiny tasks/s; "
            f"ours {ours / baseline:.2f}x of it (target >= 0.5x); "
            f"a lone tiny task, submit -> ready p50 {lone[workers]:.1f} ms (target <= 30 ms)"
        )
    for workers in (1, 2):
        print(
            f"the PostgreSQL-native queue (bare procrastinate), {workers} worker process{'es' * (workers > 1)}: "
            f"{native[workers]['tasks_per_s']:.1f} no-ops/s against bare Celery's {bare[workers]['tasks_per_s']:.1f}"
        )
    for workers, counted in trips.items():
        print(
            f"round trips per tiny task (submit, run, one ?wait status), postgres + celery, {workers} "
            f"worker{'s' * (workers > 1)}: PostgreSQL {counted['postgresql']:.2f} statements, "
            f"Redis {counted['redis']:.2f} commands"
        )
    print("against the conventional peer (Django + DRF + Celery + django-celery-results, 2 + 2 processes),")
    print("tasks/s by the client's clock from the first submit to the last task seen done:")
    ours_two = results["postgres + celery, 2 workers"]
    for workload, row in peer.items():
        ours = ours_two[workload]["wall_tasks_per_s"]
        print(
            f"  {workload:16} peer {row['wall_tasks_per_s']:7.1f}, ours (postgres + celery, 2 workers) {ours:7.1f}: "
            f"{ours / row['wall_tasks_per_s']:.2f}x (target >= 1.0x)"
        )
    print_cpu("tiny (sleep 0)", {"conventional peer": peer["tiny (sleep 0)"]["cpu_ms"]})
    print_cpu("image pipeline", {"conventional peer": peer["image pipeline"]["cpu_ms"]})
    one = results["postgres + celery, 1 worker"]["image pipeline"]["tasks_per_s"]
    two = results["postgres + celery, 2 workers"]["image pipeline"]["tasks_per_s"]
    allowed = direct[2] / direct[1]
    print(
        f"image pipeline, 2 workers / 1 worker: {two / one:.2f}x; direct Pillow, 2 processes / 1: {allowed:.2f}x "
        f"({direct[1]:.1f} -> {direct[2]:.1f} a second); target >= 0.85 x that = {0.85 * allowed:.2f}x"
    )
    summary = {
        "machine": machine(),
        "results": results,
        "bare_celery": bare,
        "bare_procrastinate": native,
        "direct_pillow_p5": direct,
        "round_trips": trips,
        "peer": peer,
        "lone_p50_ms": lone,
    }
    (RESULTS / "scale.json").write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
