"""One cgroup per sandboxed run: memory, process count and CPU share for the whole process tree.

RLIMIT_AS and RLIMIT_NPROC hold per process (or per uid); a program that forks three children
of 700 MB each passes a 1 GB address-space limit. A cgroup counts them together, as Judge0's
isolate does. Both hierarchies are supported:
- v2 (unified): a subtree delegated to the service (`memory`, `pids`, `cpu` in its parent's
  `cgroup.subtree_control`): memory.max, memory.swap.max, pids.max, cpu.max, memory.peak.
- v1: the `memory`, `pids` (and `cpu`, if mounted) controllers writable by root, as on these
  machines: memory.limit_in_bytes (+ memsw), pids.max, cpu.cfs_quota_us, max_usage_in_bytes.
Where neither works, `detect()` says why and runs fall back to rlimits alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CPU_PERIOD_US = 100_000


@dataclass(frozen=True, slots=True)
class GroupLimits:
    memory_bytes: int
    processes: int
    cpus: float


class RunGroup:
    """A run's cgroup (one directory per controller on v1, one on v2)."""

    def __init__(self, version: int, directories: dict[str, Path]) -> None:
        self.version = version
        self.directories = directories

    @property
    def join_files(self) -> list[Path]:
        """What the launcher writes "0" to: v1's per-thread `tasks` (no global lock, see launch.c)."""
        name = "cgroup.procs" if self.version == 2 else "tasks"
        return [directory / name for directory in dict.fromkeys(self.directories.values())]

    def peak_memory_bytes(self) -> int | None:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        return _read_int(self.directories["memory"] / name)

    def oom_killed(self) -> bool:
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        fields = dict(line.split() for line in _read(self.directories["memory"] / name).splitlines() if " " in line)
        return int(fields.get("oom_kill", "0")) > 0

    def kill_all(self) -> None:
        """Kill whatever is still in the group (normally nothing: the PID namespace went first)."""
        for directory in dict.fromkeys(self.directories.values()):
            for pid in _read(directory / "cgroup.procs").split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)

    def remove(self) -> None:
        for directory in self.directories.values():
            with contextlib.suppress(FileNotFoundError):
                directory.rmdir()


class Cgroups:
    """Makes one group per run under this process's own `taskservice-<pid>` parent group."""

    def __init__(self, version: int, parents: dict[str, Path]) -> None:
        self.version = version
        self._parents = parents

    @property
    def description(self) -> str:
        return f"cgroup v{self.version} ({', '.join(self._parents)})"

    def close(self) -> None:
        """Remove this process's parent groups (at exit: runs have all ended by then)."""
        for parent in dict.fromkeys(self._parents.values()):
            with contextlib.suppress(OSError):
                parent.rmdir()

    @contextlib.contextmanager
    def group(self, limits: GroupLimits) -> Iterator[RunGroup]:
        name = f"run-{uuid.uuid4().hex[:12]}"
        directories = {controller: parent / name for controller, parent in self._parents.items()}
        group = RunGroup(self.version, directories)
        try:
            for directory in dict.fromkeys(directories.values()):
                directory.mkdir()
            self._limit(directories, limits)
            yield group
        finally:
            group.kill_all()
            group.remove()

    def _limit(self, directories: dict[str, Path], limits: GroupLimits) -> None:
        quota = max(1000, int(limits.cpus * CPU_PERIOD_US))
        if self.version == 2:
            directory = directories["memory"]
            _write(directory / "memory.max", limits.memory_bytes)
            _write(directory / "memory.swap.max", 0, optional=True)
            _write(directory / "pids.max", limits.processes)
            if "cpu" in directories:
                _write(directory / "cpu.max", f"{quota} {CPU_PERIOD_US}")
            return
        memory = directories["memory"]
        _write(memory / "memory.limit_in_bytes", limits.memory_bytes)
        _write(memory / "memory.memsw.limit_in_bytes", limits.memory_bytes, optional=True)  # no swapping past it
        _write(directories["pids"] / "pids.max", limits.processes)
        if "cpu" in directories:
            _write(directories["cpu"] / "cpu.cfs_period_us", CPU_PERIOD_US)
            _write(directories["cpu"] / "cpu.cfs_quota_us", quota)


def detect(root: Path = ROOT) -> Cgroups | str:
    """Usable cgroups for runs, or the reason there are none (shown by /languages and /readyz)."""
    if os.geteuid() != 0:
        return "rlimits only: the service is not root, so it cannot make cgroups for runs"
    own = _own_groups()
    if (root / "cgroup.controllers").exists():
        return _detect_v2(root, own.get("", "/"))
    if (root / "memory" / "cgroup.procs").exists() and (root / "pids" / "cgroup.procs").exists():
        return _detect_v1(root, own)
    return "rlimits only: no cgroup v2 hierarchy and no v1 memory and pids controllers under /sys/fs/cgroup"


def _detect_v1(root: Path, own: dict[str, str]) -> Cgroups | str:
    parents: dict[str, Path] = {}
    for controller in ("memory", "pids", "cpu"):
        base = root / controller
        if not (base / "cgroup.procs").exists():
            continue
        parent = _own_directory(base, own.get(controller, "/")) / f"taskservice-{os.getpid()}"
        try:
            parent.mkdir(exist_ok=True)
            probe = parent / "probe"
            probe.mkdir(exist_ok=True)
            probe.rmdir()
        except OSError as exc:
            if controller == "cpu":
                continue  # optional: memory and pids are what the limits need
            return f"rlimits only: cannot make a v1 {controller} cgroup under {base} ({exc.strerror})"
        parents[controller] = parent
    return Cgroups(1, parents)


def _detect_v2(root: Path, own: str) -> Cgroups | str:
    base = _own_directory(root, own)
    enabled = _read(base / "cgroup.subtree_control").split()
    if not {"memory", "pids"} <= set(enabled):
        return (
            f"rlimits only: cgroup v2 at {base} does not delegate memory and pids to its children "
            "(enable them in cgroup.subtree_control, e.g. a systemd Delegate=yes unit)"
        )
    parent = base / f"taskservice-{os.getpid()}"
    try:
        parent.mkdir(exist_ok=True)
        _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in ("memory", "pids", "cpu") if c in enabled))
    except OSError as exc:
        return f"rlimits only: cannot make a cgroup v2 group under {base} ({exc.strerror})"
    controllers = [c for c in ("memory", "pids", "cpu") if c in enabled]
    return Cgroups(2, dict.fromkeys(controllers, parent))


def _own_directory(mount: Path, own: str) -> Path:
    """This process's group under a controller's mount: `own` (from /proc/self/cgroup) below it on
    a host; the mount itself in a container that shares the host's cgroup namespace (v1's default
    under Docker and podman), where /proc/self/cgroup names the host's path but the mount holds
    the container's own group alone."""
    nested = mount / own.lstrip("/")
    if nested.is_dir() or str(os.getpid()) not in _read(mount / "cgroup.procs").split():
        return nested
    return mount


def _own_groups() -> dict[str, str]:
    """controller -> this process's group path ('' for the v2 hierarchy), from /proc/self/cgroup."""
    groups: dict[str, str] = {}
    for line in _read(Path("/proc/self/cgroup")).splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            groups[controller] = path
    return groups


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _read_int(path: Path) -> int | None:
    text = _read(path).strip()
    return int(text) if text.isdigit() else None


def _write(path: Path, value: object, *, optional: bool = False) -> None:
    try:
        path.write_text(str(value))
    except OSError:
        if not optional:
            raise
