"""CPU time over a stretch of a benchmark, read from /proc: by process group (where a task's cost
goes when the web tier, the workers, PostgreSQL, Redis and the client share the same cores), and
the whole machine's."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def _group(pid: int, cmdline: str, name: str) -> str | None:
    if pid == os.getpid():
        return "client"
    if "gunicorn" in cmdline:
        return "web"
    if ("celery" in cmdline or "procrastinate" in cmdline) and " worker" in cmdline:
        return "workers"
    if name == "postgres":
        return "postgresql"
    if name == "redis-server":
        return "redis"
    return None


def snapshot() -> dict[int, tuple[str, int]]:
    """(group, user + system ticks) of every process that belongs to a group."""
    seen = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        name, _, rest = stat.partition(" (")[2].rpartition(")")
        fields = rest.split()
        group = _group(int(entry.name), cmdline, name)
        if group is not None:
            seen[int(entry.name)] = (group, int(fields[11]) + int(fields[12]))  # utime, stime
    return seen


@contextmanager
def cpu_per_task(count: int) -> Iterator[dict[str, float]]:
    """Fills the yielded dict, on exit, with each group's CPU milliseconds per task (and `total`).
    A process that ends inside the stretch is not counted; the groups' processes outlive it."""
    figures: dict[str, float] = {}
    before = snapshot()
    yield figures
    ticks: Counter[str] = Counter()
    for pid, (group, now) in snapshot().items():
        ticks[group] += now - before.get(pid, (group, 0))[1]
    for group in ("web", "workers", "postgresql", "redis", "client"):
        figures[group] = 1000 * ticks[group] / TICKS / count
    figures["total"] = sum(figures.values())


def machine_busy_ms() -> float:
    """CPU time the whole machine has spent busy (all processes, the kernel's own threads too):
    namespaces are partly torn down by kernel workers that no process's rusage counts."""
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in (PROC / "stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) * 1000 / TICKS
