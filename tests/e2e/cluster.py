"""A whole deployment on this machine for distributed tests: PostgreSQL database (fresh), Redis
broker (a dedicated db index, flushed), gunicorn with several workers, Celery workers and beat."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
import requests

from tests.e2e.conftest import ROOT, SHIPPED, LiveServer, manage, start_gunicorn

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def fresh_database(name: str) -> str:
    """A new database, migrated: a copy of `migrated_template()` (0.15 s, where migrating took 2.8)."""
    template = migrated_template()
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"postgres://postgres@127.0.0.1:5432/{name}"


@functools.cache
def migrated_template() -> str:
    """A database migrated once per test run (dropped at exit); `test_postgres_restart_...` still
    migrates a database of its own from empty."""
    name = f"taskservice_e2e_template_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    atexit.register(drop_database, name)
    migrate({**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}"})
    return name


def migrate(env: dict[str, str]) -> None:
    manage("migrate", "-v", "0", env=env)


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Cluster:
    env: dict[str, str]
    logs: Path
    web: LiveServer | None = None
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)

    def migrate(self) -> None:
        migrate(self.env)

    def api_key(self, username: str) -> dict[str, str]:
        """Authorization headers with a new key for `username` (made if missing)."""
        key = manage("create_api_key", username, "--create-user", env=self.env).strip()
        return {"Authorization": f"Bearer {key}"}

    def start_web(self, web_workers: int = 2) -> LiveServer:
        self.web = start_gunicorn(self.logs / "web.log", {**self.env, "WEB_CONCURRENCY": str(web_workers)})
        return self.web

    def start_worker(self, name: str) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "taskservice",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "1",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        return self._spawn(name, command)

    def start_beat(self) -> subprocess.Popen:
        schedule = self.logs / "beat-schedule"
        return self._spawn(
            "beat", [sys.executable, "-m", "celery", "-A", "taskservice", "beat", "-l", "info", "-s", str(schedule)]
        )

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)
        self.workers[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL a worker and its pool children: a machine dying, not a graceful stop."""
        os.killpg(self.workers[name].pid, signal.SIGKILL)
        self.workers.pop(name).wait()

    def stop(self) -> None:
        if self.web is not None:
            self.web.stop()
        for process in self.workers.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGQUIT)  # Celery's cold shutdown: the test is over
        for process in self.workers.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def cluster_env(database_url: str, broker_url: str, **extra: str) -> dict[str, str]:
    redis.Redis.from_url(broker_url).flushdb()
    return {
        **os.environ,
        **SHIPPED,
        "DATABASE_URL": database_url,
        "TASK_STORE": "postgres",
        "TASK_EXECUTOR": "celery",
        "CELERY_BROKER_URL": broker_url,
        "ACCESS_LOG": "0",
        **extra,
    }


class PersistentRedis:
    """A private redis-server with an append-only file, as a production broker should run."""

    def __init__(self, directory: Path, port: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory, self.port = directory, port

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / "redis.log"),
                "--pidfile",
                str(self.directory / "redis.pid"),
            ],
            check=True,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        with suppress(redis.ConnectionError):  # already down, or the shutdown dropped our connection
            redis.Redis(port=self.port).shutdown()


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb, run as the postgres user) that a test may restart."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="taskservice-pg-", dir="/tmp"))
        self.data = self.root / "data"
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
        self.bin = bins[-1]
        self.root.chmod(0o755)
        shutil.chown(self.root, "postgres", "postgres")
        self._as_postgres(self.bin / "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/taskservice"

    def _as_postgres(self, *command: str | Path) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *map(str, command)], check=True, capture_output=True, timeout=120)

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "log", "-w", action)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart")

    def create_database(self) -> None:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as connection:
            connection.execute('CREATE DATABASE "taskservice"')

    def destroy(self) -> None:
        with suppress(subprocess.CalledProcessError):
            self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


BROKER = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def deployment(tmp_path: Path) -> Iterator[Cluster]:
    """The `cluster` fixture: a fresh database and the broker's db, fast heartbeats and reaping."""
    name = f"taskservice_e2e_{os.getpid()}"
    env = cluster_env(
        fresh_database(name),
        BROKER,
        TASK_LOST_AFTER_SECONDS="3",
        TASK_HEARTBEAT_SECONDS="0.5",
        TASK_REAP_SECONDS="1",
        CELERY_VISIBILITY_TIMEOUT="10",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    cluster = Cluster(env, tmp_path)
    yield cluster
    cluster.stop()
    drop_database(name)


def submit(url: str, body: dict, headers: dict[str, str] | None = None) -> str:
    response = requests.post(f"{url}/task", json=body, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["task_id"]


def wait_running(url: str, task_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while requests.get(f"{url}/status/{task_id}", timeout=5).json()["state"] != "running":
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.1)
