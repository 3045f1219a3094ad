"""Live-server fixtures: a real gunicorn process started with the project's shipped config."""

import atexit
import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = ROOT / "taskservice" / "gunicorn.conf.py"
# What the processes a test starts run with: the shipped settings (the suite's own add only the
# per-worker shares of tests/settings.py, which reach them through the environment).
SHIPPED = {"DJANGO_SETTINGS_MODULE": "taskservice.settings"}
LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+) ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: Path
    tmpdir: Path  # the server's own TMPDIR: its run directories, and nobody else's

    def stop(self, timeout: float = 20, *, graceful: bool = False) -> int:
        """SIGQUIT by default: a test's server is done with, and a graceful stop (SIGTERM) holds
        each kept-alive connection open 2 s more. Tests of the graceful stop ask for it."""
        try:
            return self._stop(timeout, signal.SIGTERM if graceful else signal.SIGQUIT)
        finally:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _stop(self, timeout: float, sig: signal.Signals) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def data_dir(log: Path) -> Path:
    """Where the server logging to `log` keeps its embedded SQLite database."""
    return log.parent / f"{log.stem}-data"


def embedded_database(server: LiveServer) -> dict[str, str]:
    """The environment that points manage.py at `server`'s embedded database."""
    return {"DATA_DIR": str(data_dir(server.log)), "DATABASE_URL": ""}


def manage(*args: str, env: dict[str, str]) -> str:
    """A management command, run as an operator would: in a process of its own. Its stdout."""
    command = [sys.executable, "manage.py", *args]
    completed = subprocess.run(command, cwd=ROOT, env={**os.environ, **SHIPPED, **env}, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def gunicorn_command() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)]


@functools.cache
def migrated_template() -> Path:
    """An embedded database migrated once per test run. Migrating SQLite took 2 of the ~3 CPU
    seconds of every server start."""
    directory = Path(tempfile.mkdtemp(prefix="taskservice-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    manage("migrate", "-v", "0", env={"DATA_DIR": str(directory), "DATABASE_URL": ""})
    return directory / "db.sqlite3"


def start_gunicorn(
    log: Path, env: dict[str, str] | None = None, wait: float = 60, *, migrated: bool = True
) -> LiveServer:
    """gunicorn with roomy quotas (tests/e2e/test_access_live.py sets its own), and the embedded
    default database (SQLite in a data dir of its own) unless `env` names one. That database
    starts as a copy of `migrated_template()` unless `migrated` is False: then the server migrates
    it itself, as on a fresh machine."""
    from tests.conftest import ROOMY_QUOTAS

    # A temp dir of its own (traversable by the sandbox's uids, as the shared one is): a test that
    # counts run directories there sees this server's alone, whatever else runs on the machine.
    tmpdir = Path(tempfile.mkdtemp(prefix="taskservice-test-"))
    tmpdir.chmod(0o711)
    environment = {
        **os.environ,
        **SHIPPED,
        "TMPDIR": str(tmpdir),
        "ACCESS_LOG": "0",
        "DATA_DIR": str(data_dir(log)),
        "DATABASE_URL": "",
        **{name: str(value) for name, value in ROOMY_QUOTAS.items()},
        **(env or {}),
    }
    embedded = Path(environment["DATA_DIR"]) / "db.sqlite3"
    if migrated and not environment["DATABASE_URL"] and not embedded.exists():
        embedded.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_template(), embedded)
    deadline = time.monotonic() + wait
    with log.open("wb") as out:
        # Port 0: the kernel picks a free one as gunicorn binds, so parallel test workers never
        # race for one; gunicorn logs which.
        command = [*gunicorn_command(), "--bind", "127.0.0.1:0"]
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=out, stderr=out)
    server = LiveServer("", process, log, tmpdir)
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
            if not server.url and (listening := LISTENING.search(log.read_text())):
                server.url = f"http://127.0.0.1:{listening[1]}"
            try:
                # A loaded CI machine may take seconds to answer the first request: keep asking.
                if server.url and requests.get(server.url + "/healthz", timeout=10).status_code == 200:
                    return server
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not become healthy in {wait}s:\n{log.read_text()}")
    except BaseException:
        server.stop()  # never leave a server behind, whatever went wrong
        raise


@pytest.fixture
def gunicorn(tmp_path) -> Iterator:
    """Factory: start gunicorn with extra environment; every server is stopped afterwards."""
    servers: list[LiveServer] = []

    def start(*, migrated: bool = True, **env: str) -> LiveServer:
        server = start_gunicorn(tmp_path / f"gunicorn-{len(servers)}.log", env, migrated=migrated)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def pytest_generate_tests(metafunc):
    """`service` is the live server on the in-memory store, and on PostgreSQL too for tests about
    what a store does (marked `every_store`): the same tests prove the store is swappable."""
    if "service" in metafunc.fixturenames and not hasattr(metafunc.module, "service"):
        every = metafunc.definition.get_closest_marker("every_store") is not None
        stores = ["memory", "postgres"] if every else ["memory"]
        metafunc.parametrize("service", stores, indirect=True, scope="module")


@pytest.fixture(scope="module")
def service(request, tmp_path_factory) -> Iterator[LiveServer]:
    """The live server on the store the test is parametrized with (see above)."""
    from tests.e2e.cluster import drop_database, fresh_database

    env = {"SLEEP_MAX_SECONDS": "2", "TASK_STORE": request.param}
    database = f"taskservice_e2e_live_{os.getpid()}"
    if request.param == "postgres":
        env["DATABASE_URL"] = fresh_database(database)
    server = start_gunicorn(tmp_path_factory.mktemp("live") / "gunicorn.log", env)
    yield server
    server.stop()
    if request.param == "postgres":
        drop_database(database)


def wait_ready(session: requests.Session, url: str, task_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = session.get(f"{url}/status/{task_id}", timeout=5).json()
        if body["status"] != "in_progress":
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} still in progress after {timeout}s: {body}")
        time.sleep(0.05)


@pytest.fixture
def cluster(tmp_path):
    """A whole deployment (tests/e2e/cluster.py): PostgreSQL, the broker, web and Celery workers."""
    from tests.e2e.cluster import deployment

    yield from deployment(tmp_path)
