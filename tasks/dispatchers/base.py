"""The execution interface: the web tier hands task ids over and never waits for the work."""

import uuid
from typing import Protocol


class Dispatcher(Protocol):
    # True when the hand-off outlives this process (a broker message): the store then records it,
    # so a task whose hand-off never happened is found and sent again. Threads die with their
    # tasks, so for them that record would be a write per submit that nothing reads.
    durable: bool

    def submit(self, task_id: uuid.UUID, *, owner: str | None = None) -> None:
        """Queue the task for execution; raises QueueFull or DispatcherStopped, never blocks.
        Owners take turns: one owner's many tasks do not hold up another's."""

    def shutdown(self) -> None:
        """Stop taking work and settle every task handed over (run it or mark it failed)."""

    def check(self) -> None:
        """Raise if tasks handed over now would not run (readiness probe)."""
