"""Following a task to its end: a live progress bar fed by the task's `progress`, one long-poll
(`GET /status/{id}?wait=`) at a time, and Ctrl-C offering to cancel the task."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from tsk.api import WAIT_SECONDS, Api

CANCEL_WAIT_SECONDS = 10.0  # for a running task to reach its next check after a cancel


class Interrupted(Exception):
    """Ctrl-C while following: `cancelled` says whether the task was cancelled."""

    def __init__(self, task_id: str, cancelled: bool) -> None:
        super().__init__(task_id)
        self.task_id = task_id
        self.cancelled = cancelled


def follow(api: Api, task_id: str, *, show: bool, label: str = "") -> dict[str, Any]:
    """The task's final status. With `show`, progress on stderr: a live bar on a terminal, else a
    line each time the whole percent changes (logs and pipes get no control characters)."""
    console = Console(stderr=True, highlight=False, markup=False)
    try:
        if show and console.is_terminal:
            return _with_bar(api, task_id, console, label)
        return _with_lines(api, task_id, console if show else None, label)
    except KeyboardInterrupt:
        raise Interrupted(task_id, _offer_cancel(api, task_id, console)) from None


def _with_bar(api: Api, task_id: str, console: Console, label: str) -> dict[str, Any]:
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        row = bar.add_task(label or task_id[:8], total=1.0)
        while True:
            status = api.status(task_id, wait=WAIT_SECONDS)
            bar.update(row, completed=status.get("progress") or 0.0, description=f"{label} {status['state']}".strip())
            if status["status"] != "in_progress":
                return status


def _with_lines(api: Api, task_id: str, console: Console | None, label: str) -> dict[str, Any]:
    shown = None
    while True:
        status = api.status(task_id, wait=WAIT_SECONDS)
        percent = int(100 * (status.get("progress") or 0.0))
        if console is not None and (status["state"], percent) != shown:
            shown = (status["state"], percent)
            console.print(f"{label or task_id}: {status['state']} {percent}%", highlight=False, soft_wrap=True)
        if status["status"] != "in_progress":
            return status


def _offer_cancel(api: Api, task_id: str, console: Console) -> bool:
    """Ask on stderr, read the answer from stdin (a terminal or a pipe); no answer keeps it running."""
    console.print(f"\nCancel task {task_id}? [y/N] ", end="", highlight=False)
    try:
        answer = sys.stdin.readline().strip().lower()
    except (KeyboardInterrupt, OSError):
        answer = ""
    if answer not in ("y", "yes"):
        console.print(f"left running: tsk wait {task_id}", highlight=False)
        return False
    status = api.cancel(task_id)
    deadline = time.monotonic() + CANCEL_WAIT_SECONDS
    try:  # a running task stops at its next check: say "cancelled" once it has (Ctrl-C: stop waiting)
        while status["status"] == "in_progress" and time.monotonic() < deadline:
            status = api.status(task_id, wait=WAIT_SECONDS)
    except KeyboardInterrupt:
        pass
    if status["state"] == "cancelled":
        console.print(f"cancelled {task_id}", highlight=False)
    else:
        console.print(f"cancel requested; {task_id} is {status['state']}: tsk wait {task_id}", highlight=False)
    return True
