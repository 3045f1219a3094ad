"""The executor interface: the web tier hands task ids over and never waits for the work.

An executor is a class in a folder of its own under `executors/`, named in the TASK_EXECUTORS
setting; TASK_EXECUTOR picks one and `tasks.providers` builds it, once per process, with the
process's repository. It owns everything about where work runs: dispatch, heartbeats and the
reaper of lost work, its periodic jobs, and where webhooks are delivered.
"""

import uuid
from typing import Protocol

from tasks.repositories.base import TaskRepository


class Executor(Protocol):
    def __init__(self, repository: TaskRepository) -> None: ...

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        """Queue the task for execution; raises QueueFull, BrokerUnavailable or DispatcherStopped,
        never blocks. Owners take turns: one owner's many tasks do not hold up another's. A
        hand-off that outlives this process (a broker message) is recorded in the store
        (`mark_dispatched`), so a task whose hand-off never happened is found and sent again."""

    def deliver_callback(self, task_id: uuid.UUID) -> None:
        """Have the finished task's webhook delivered where this executor delivers them; a failed
        hand-off is only logged (the store holds the due time; the overdue sweep finds it)."""

    def shutdown(self) -> None:
        """Stop taking work and settle every task handed over (run it or mark it failed), and
        stop the executor's own threads."""

    def check(self) -> None:
        """Raise if tasks handed over now would not run (readiness probe)."""
