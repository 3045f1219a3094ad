"""`make run-cluster`: the distributed setup on one machine, in the foreground.

gunicorn (WEB_CONCURRENCY workers), N Celery workers and Celery beat, all against the
configured PostgreSQL and broker. Ctrl-C (or SIGTERM) stops them all.
"""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run gunicorn, Celery workers and beat together in the foreground."

    def add_arguments(self, parser: object) -> None:
        parser.add_argument("--workers", type=int, default=2, help="Celery worker processes.")

    def handle(self, *args: object, workers: int, **options: object) -> None:
        if settings.TASK_STORE != "postgres" or settings.TASK_EXECUTOR != "celery":
            raise CommandError("run_cluster needs TASK_STORE=postgres and TASK_EXECUTOR=celery.")
        celery = [sys.executable, "-m", "celery", "-A", "taskservice"]
        commands = {"web": [sys.executable, "-m", "gunicorn", "-c", "taskservice/gunicorn.conf.py"]}
        for n in range(1, workers + 1):
            commands[f"worker{n}"] = [*celery, "worker", "-l", "info", "--concurrency", "1", "-n", f"worker{n}@%h"]
        commands["beat"] = [*celery, "beat", "-l", "info", "-s", "var/celerybeat-schedule"]
        processes = {name: subprocess.Popen(command) for name, command in commands.items()}
        self.stdout.write(f"started {', '.join(processes)}; Ctrl-C stops them all")
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        failed = [name for name, process in processes.items() if process.returncode not in (0, -signal.SIGTERM)]
        if failed and not stopping:
            raise CommandError(f"stopped because {', '.join(failed)} exited")
