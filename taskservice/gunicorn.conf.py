"""gunicorn configuration shipped with the service (used by `make run` and the Docker image).

The default in-memory store lives in one process: one worker, many threads (gthread, with the
main loop reading each request before a thread gets it: taskservice/gunicorn_worker.py). A
request that waits for a task (`?wait`, `Prefer: wait`) holds a thread, so each worker has
TASK_MAX_WAITERS threads more than GUNICORN_THREADS: waiters never take the threads the rest use.
"""

import os

from django.conf import settings

from core import malloc
from core.env import env_bool, env_int, env_str

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskservice.settings")
MALLOC_SETTINGS = malloc.tune()  # in the master, before any worker (or thread) exists

wsgi_app = "taskservice.wsgi:application"
bind = f"{env_str('HOST', '127.0.0.1')}:{env_int('PORT', 8000, minimum=1, maximum=65535)}"
workers = env_int("WEB_CONCURRENCY", 1, minimum=1)
worker_class = "taskservice.gunicorn_worker.ReadAheadWorker"
threads = env_int("GUNICORN_THREADS", 8, minimum=1) + settings.TASK_MAX_WAITERS
worker_connections = env_int("GUNICORN_WORKER_CONNECTIONS", 1000, minimum=threads + 1)
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 15, minimum=1)
keepalive = 5
accesslog = "-" if env_bool("ACCESS_LOG", True) else None
errorlog = "-"
# Keep request lines and headers bounded (gunicorn's own limits, stated here on purpose).
limit_request_line = 8190
limit_request_fields = 100
# No control socket (gunicornc): nothing here uses it, its default path is one per user (two
# instances on a host would share it), and stopping its server held every shutdown for a second.
control_socket_disable = True


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """Validate the Django settings before any worker starts; refuse unsafe combinations."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        store = settings.TASK_STORE
    except ImproperlyConfigured as exc:
        raise RuntimeError(f"invalid configuration: {exc}") from None
    server.log.info("malloc: %s", ", ".join(MALLOC_SETTINGS) or "as the environment set it")
    if store == "memory" and server.cfg.workers > 1:
        raise RuntimeError(
            f"TASK_STORE=memory keeps tasks inside one process, but gunicorn is set to "
            f"{server.cfg.workers} workers: run one worker (WEB_CONCURRENCY=1) with threads."
        )
    if server.cfg.workers > 1 and not settings.CACHE_URL:
        server.log.warning("%s workers without CACHE_URL: each counts submission quotas on its own", server.cfg.workers)
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        # The embedded default needs no set-up step: its tables (users, keys) are made here,
        # once, before workers fork. A shared database is migrated on purpose (`make migrate`).
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False, verbosity=0)


def post_worker_init(worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """Each kind checks what it needs before the worker takes requests (the sandbox runs once)."""
    from tasks import services

    services.prepare_kinds()


def child_exit(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """A worker is gone: prometheus-client's multiprocess mode drops its live values."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker) -> None:  # noqa: ANN001
    """Settle this worker's tasks on graceful shutdown (unstarted ones are marked failed)."""
    from tasks import providers

    providers.shutdown()
