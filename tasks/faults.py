"""Test-only fault points: TASK_FAULTS="point:action,..." makes a process die (`kill`: SIGKILL)
or fail (`raise`) exactly between two steps, so the cluster tests can prove nothing is lost there.
Unset (always, outside those tests) a point is one dict lookup."""

from __future__ import annotations

import os
import signal

_FAULTS = dict(item.split(":", 1) for item in os.environ.get("TASK_FAULTS", "").split(",") if ":" in item)


class InjectedFault(RuntimeError):
    pass


def point(name: str) -> None:
    action = _FAULTS.get(name)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise InjectedFault(f"fault injected at {name}")
