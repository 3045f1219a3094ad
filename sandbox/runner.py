"""One run of an untrusted program: a launcher, bubblewrap namespaces, a cgroup, seccomp, rlimits.

The chain for one run, every link started with a fixed minimal environment:
- `launch` (launch.c, on the host, as the service's user) joins the run's cgroup, sets CPU
  time, address space, process count, file size, open files and core size, drops to the run's
  own uid and execs bwrap. It stays as a child subreaper and reaps everything the run leaves,
  so finished runs never pile up as zombies under the host's PID 1.
- bwrap gives new user (no nested ones: --disable-userns), PID, network, IPC, UTS and cgroup
  namespaces, read-only /usr (plus the dynamic linker cache and /etc/alternatives; of /usr/local
  only what a toolchain needs; of the rest of /etc only the run's toolchain's own configuration), a
  private /proc without kernel symbols or modules, /dev with a small /dev/shm, a 64 MiB /tmp,
  the root remounted read-only, and the run's tmpfs as /work. Every capability is dropped; the
  environment is PATH, LANG and HOME, and what a toolchain needs (a Go build cache in /tmp).
- `supervise` (supervise.c, PID 1 inside: bwrap --as-pid-1 leaves no init of its own) makes
  itself non-dumpable, forks the program under the seccomp filter, confines itself to waiting and
  writing, reaps every process and reports the program's exit status, CPU time and peak RSS on a
  pipe the program neither holds nor can reach through /proc. When it exits, the kernel kills
  everything left in the PID namespace.
- When the service runs as root, each concurrent run has its own unprivileged uid from a small
  pool (RLIMIT_NPROC then counts only that run) and its own cgroup (memory, pids and CPU for the
  whole process tree: see cgroups.py); without root, rlimits alone.
"""

from __future__ import annotations

import dataclasses
import fcntl
import itertools
import os
import select
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path

from sandbox.cgroups import Cgroups, GroupLimits, RunGroup
from sandbox.helpers import Helpers, check_private
from sandbox.workspace import Workspace, workspace

BWRAP = "bwrap"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
LAUNCH_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
READ_CHUNK = 65536
SUPERVISOR_PATH = "/run/supervise"
MIB = 1024 * 1024
TMP_BYTES = 64 * MIB
SHM_BYTES = 16 * MIB
KILL_GRACE_SECONDS = 2.0  # for the launcher to kill and reap the run before it is killed itself
# Processes of the sandbox's own in a run's cgroup and uid (bwrap outside the PID namespace, the
# supervisor inside), added to the program's cap so a cap of N leaves the program N.
OWN_PROCESSES = 2


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here; code must not run unsandboxed."""


class SandboxFault(RuntimeError):
    """The sandbox itself failed (not the program in it): the task fails, with this reason."""


@dataclass(frozen=True, slots=True)
class Limits:
    cpu_seconds: float
    wall_seconds: float
    memory_bytes: int
    output_bytes: int
    processes: int  # the program's processes and threads together (the sandbox's own come on top)
    file_bytes: int
    open_files: int = 64
    # False for runtimes that reserve far more address space than they use (the JVM, Go, BEAM,
    # .NET, V8): no RLIMIT_AS, so memory is bounded by the run's cgroup alone, which then must exist.
    address_space: bool = True

    @property
    def total_processes(self) -> int:
        """The cap for the run's cgroup and uid: the program's, and the sandbox's own on top."""
        return self.processes + OWN_PROCESSES


@dataclass(frozen=True, slots=True)
class Outcome:
    exit_code: int | None
    signal: int | None
    stdout: bytes
    stderr: bytes
    cpu_seconds: float | None  # None when the run was killed before the supervisor could report
    wall_seconds: float
    memory_kb: int | None  # the whole process tree's peak with a cgroup, else the largest process's
    truncated: bool
    wall_timeout: bool
    oom_killed: bool = False
    disk_kb: int | None = None  # used in /work at the end, when /work has a size
    disk_full: bool = False


HIDDEN_PROC_FILES = ("/proc/kallsyms", "/proc/modules", "/proc/timer_list", "/proc/sched_debug")


def usr_local_needs(binaries: list[str]) -> tuple[str, ...]:
    """The parts of /usr/local the toolchains need (a Python built there, as in the python:3.11
    image: its bin and lib): the rest of /usr/local stays out of the sandbox."""
    if any(binary.startswith("/usr/local/") for binary in binaries):
        return tuple(path for path in ("/usr/local/bin", "/usr/local/lib") if Path(path).is_dir())
    return ()


def bwrap_args(
    bwrap: str,
    work: Path,
    supervisor: Path | None = None,
    usr_local: tuple[str, ...] = (),
    read_only: tuple[str, ...] = (),
    environment: Mapping[str, str] | None = None,
) -> list[str]:
    """bubblewrap's arguments for one run. `read_only`: host paths outside /usr a toolchain reads
    (a JDK's /etc/java-17-openjdk), bound read-only where they exist; `environment`: variables the
    toolchain needs beside PATH, LANG and HOME (a Go build cache in /tmp)."""
    args = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",  # the supervisor is the namespace's init: no bwrap process the program could reach
        "--cap-drop",
        "ALL",
        "--uid",
        "1000",
        "--gid",
        "1000",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/sbin",
        "/sbin",
        "--symlink",
        "usr/lib",
        "/lib",
        "--tmpfs",
        "/usr/local",  # empty but for what toolchains need: no host tools, no stray secrets
        *(part for path in usr_local for part in ("--ro-bind", path, path)),
        "--remount-ro",
        "/usr/local",
    ]
    if Path("/usr/lib64").exists():
        args += ["--symlink", "usr/lib64", "/lib64"]
    if Path("/etc/ld.so.cache").exists():
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if Path("/etc/alternatives").is_dir():  # Debian's /usr/bin/java, php, cc... are links through it
        args += ["--ro-bind", "/etc/alternatives", "/etc/alternatives"]
    args += [part for path in read_only for part in ("--ro-bind-try", path, path)]
    args += [
        "--proc",
        "/proc",
        # Kernel addresses and modules are nobody's business in here: unreadable (a device node
        # cannot be opened in the run's user namespace).
        *(part for path in HIDDEN_PROC_FILES if Path(path).exists() for part in ("--ro-bind", "/dev/null", path)),
        "--dev",
        "/dev",
        "--size",
        str(SHM_BYTES),
        "--tmpfs",
        "/dev/shm",
        "--size",
        str(TMP_BYTES),
        "--tmpfs",
        "/tmp",
        "--bind",
        str(work),
        "/work",
        "--chdir",
        "/work",
        *(["--ro-bind", str(supervisor), SUPERVISOR_PATH] if supervisor else []),
        "--remount-ro",
        "/",  # the sandbox's own root: only /work, /tmp and /dev/shm stay writable
        "--clearenv",
        "--setenv",
        "PATH",
        SANDBOX_PATH,
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "HOME",
        "/work",
        *(part for name, value in (environment or {}).items() for part in ("--setenv", name, value)),
        "--",
    ]
    return args


def rlimit_arg(limits: Limits) -> str:
    """The launcher's RLIMITS argument (its CPU hard limit is one second above the soft one)."""
    cpu = max(1, int(limits.cpu_seconds + 0.999))
    address_space = f"as={limits.memory_bytes}," if limits.address_space else ""
    files = f"fsize={limits.file_bytes},nofile={limits.open_files}"
    return f"cpu={cpu},{address_space}nproc={limits.total_processes},{files},core=0"


class UidPool:
    """Unprivileged uids, one per concurrent run on the whole host, so RLIMIT_NPROC (counted per
    uid, system-wide) counts that run alone. Every service process on a host (gunicorn and Celery
    workers) draws from the same range, so a uid is leased by an exclusive flock on its lock file
    in `lock_dir`: a fork bomb in one process's run cannot use up another's process limit. The
    kernel drops a dead process's locks, so nothing leaks."""

    def __init__(self, first: int, size: int, lock_dir: Path) -> None:
        lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        check_private(lock_dir)
        self._uids = range(first, first + size)
        self._dir = lock_dir
        self._next = itertools.count(os.getpid())  # processes start their scans at different uids

    @contextmanager
    def lease(self) -> Iterator[int]:
        while True:
            start = next(self._next) % len(self._uids)
            for uid in (*self._uids[start:], *self._uids[:start]):
                fd = os.open(self._dir / str(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    yield uid
                    return
                finally:
                    os.close(fd)  # releases the lock
            time.sleep(0.01)  # every uid is running something: wait for one


class Sandbox:
    def __init__(
        self,
        *,
        helpers: Helpers,
        uid_pool: UidPool | None,
        cgroups: Cgroups | str,
        disk_bytes: int,
        usr_local: tuple[str, ...] = (),
        on_fault: Callable[[], None] = lambda: None,
    ) -> None:
        bwrap = shutil.which(BWRAP)
        if bwrap is None:
            raise SandboxUnavailable(f"{BWRAP} (bubblewrap) is not installed (Debian: apt-get install bubblewrap)")
        self.bwrap = bwrap
        self.helpers = helpers
        self._uid_pool = uid_pool  # None when the service is not root: runs keep its uid
        self._cgroups = cgroups if isinstance(cgroups, Cgroups) else None
        self._disk_bytes = disk_bytes
        self._usr_local = usr_local  # see usr_local_needs
        self._on_fault = on_fault  # told of each SandboxFault (the service counts them in /metrics)
        self.isolation = cgroups.description if isinstance(cgroups, Cgroups) else cgroups

    @contextmanager
    def workdir(self) -> Iterator[Workspace]:
        """A fresh private workspace for one task (source, binary, files it writes), gone afterwards."""
        with (
            self._uid_pool.lease() if self._uid_pool else nullcontext(None) as uid,
            workspace(uid=uid, disk_bytes=self._disk_bytes) as space,
        ):
            yield space

    @property
    def bounds_tree_memory(self) -> bool:
        """Whether a run's memory is bounded as a whole (a cgroup), not only per process."""
        return self._cgroups is not None

    def run(
        self,
        argv: list[str],
        *,
        workspace: Workspace,
        stdin: bytes,
        limits: Limits,
        environment: Mapping[str, str] | None = None,
        read_only: tuple[str, ...] = (),
        merge_stderr: bool = False,
    ) -> Outcome:
        """Run `argv` inside the sandbox in `workspace`; never raises for anything the program does.
        `environment` and `read_only`: what this run's toolchain needs (see bwrap_args), bound for
        it alone: each bind costs bwrap a parse of the mount table (0.16 ms a run apiece), and a
        Python run has no business reading a JDK's configuration.
        `merge_stderr`: the program's stderr is its stdout's pipe, both interleaved as written."""
        if not limits.address_space and self._cgroups is None:
            raise SandboxFault("a run without an address-space limit needs a memory cgroup, and this host has none")
        stdin_fd = os.memfd_create("stdin", os.MFD_CLOEXEC)  # no file anyone could plant a link for
        try:
            _write_all(stdin_fd, stdin)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
            group_limits = GroupLimits(limits.memory_bytes, limits.total_processes, cpus=1.0)
            with self._cgroups.group(group_limits) if self._cgroups else nullcontext() as group:
                outcome = self._run(argv, workspace, stdin_fd, limits, group, environment, read_only, merge_stderr)
        finally:
            os.close(stdin_fd)
        used = workspace.disk_used_bytes()
        if used is None:
            return outcome
        full = used >= workspace.disk_bytes - 64 * 1024
        return dataclasses.replace(outcome, disk_kb=used // 1024, disk_full=full)

    def check(self) -> None:
        """Raise SandboxUnavailable unless a trivial program runs through the whole chain."""
        limits = Limits(
            cpu_seconds=5, wall_seconds=10, memory_bytes=256 * MIB, output_bytes=4096, processes=16, file_bytes=MIB
        )
        try:
            with self.workdir() as space:
                outcome = self.run(["/bin/true"], workspace=space, stdin=b"", limits=limits)
        except SandboxFault as fault:  # bwrap itself failed: no namespaces here (a container's profile)
            raise SandboxUnavailable(f"the sandbox cannot run programs here: {fault}") from None
        if outcome.exit_code != 0:
            detail = outcome.stderr.decode(errors="replace").strip()[:300]
            raise SandboxUnavailable(f"the sandbox cannot run programs here: {detail or outcome}")

    def _run(
        self,
        argv: list[str],
        space: Workspace,
        stdin_fd: int,
        limits: Limits,
        group: RunGroup | None,
        environment: Mapping[str, str] | None,
        read_only: tuple[str, ...],
        merge_stderr: bool,
    ) -> Outcome:
        procs = ":".join(str(path) for path in group.join_files) if group else "-"
        uid = "-" if space.uid is None else str(space.uid)
        launch = [str(self.helpers.launch), uid, procs, rlimit_arg(limits), "--"]
        sandbox = bwrap_args(self.bwrap, space.work, self.helpers.supervise, self._usr_local, read_only, environment)
        report_read, report_write = os.pipe()
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                [*launch, *sandbox, SUPERVISOR_PATH, str(report_write), *argv],
                stdin=stdin_fd,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                start_new_session=True,
                pass_fds=(report_write,),
                env=LAUNCH_ENVIRONMENT,
            )
        finally:
            os.close(report_write)
        report = os.fdopen(report_read, "rb")
        streams = (process.stdout, report) if merge_stderr else (process.stdout, process.stderr, report)
        captured = {stream: bytearray() for stream in streams}
        truncated = wall_timeout = False
        deadline = started + limits.wall_seconds
        with selectors.DefaultSelector() as selector:
            for stream in captured:
                selector.register(stream, selectors.EVENT_READ)
            while selector.get_map() and not truncated:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    wall_timeout = True
                    break
                for key, _ in selector.select(timeout=min(remaining, 0.5)):
                    chunk = os.read(key.fd, READ_CHUNK)
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    buffer = captured[key.fileobj]
                    room = (256 if key.fileobj is report else limits.output_bytes) - len(buffer)
                    buffer += chunk[: max(room, 0)]
                    truncated = truncated or (len(chunk) > room and key.fileobj is not report)
        status, timed_out = _reap(process, deadline, stop_now=wall_timeout or truncated)
        wall = time.monotonic() - started
        for stream in captured:
            stream.close()
        stderr = b"" if merge_stderr else bytes(captured[process.stderr])
        said = bytes(captured[process.stdout]) if merge_stderr else stderr  # where bwrap and launch wrote
        oom = group.oom_killed() if group else False
        peak = group.peak_memory_bytes() if group else None
        fields = bytes(captured[report]).split()
        if len(fields) == 4:
            program_status, utime, stime, maxrss = (int(field) for field in fields)
            exit_code, sig = _decode(program_status)
            cpu, memory = (utime + stime) / 1e6, maxrss
        elif wall_timeout or timed_out or truncated:
            exit_code, sig, cpu, memory = None, signal.SIGKILL, None, None
        elif said.startswith((b"bwrap:", b"launch:")):
            self._on_fault()
            raise SandboxFault(said.decode(errors="replace").strip()[:500])
        else:  # the program killed its own supervisor, or the OOM killer did
            exit_code, sig = _decode(status)
            cpu, memory = None, None
        return Outcome(
            exit_code=exit_code,
            signal=sig,
            stdout=bytes(captured[process.stdout]),
            stderr=stderr,
            cpu_seconds=cpu,
            wall_seconds=wall,
            memory_kb=peak // 1024 if peak is not None else memory,
            truncated=truncated,
            wall_timeout=wall_timeout or timed_out,
            oom_killed=oom,
        )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _reap(process: subprocess.Popen, deadline: float, *, stop_now: bool) -> tuple[int, bool]:
    """Wait for the launcher. At the deadline (a program may close its output and run on), or at
    once with `stop_now`, SIGTERM asks it to kill the run and reap it; if it has not exited
    KILL_GRACE_SECONDS later, its process group is killed. Returns (wait status, timed out)."""
    timed_out = False
    kill_at = None
    if stop_now:
        kill_at = _ask_to_stop(process)
    with _exit_watch(process.pid) as until_exit:
        while True:
            pid, status = os.waitpid(process.pid, os.WNOHANG)
            if pid:
                break
            now = time.monotonic()
            if kill_at is None and now >= deadline:
                timed_out, kill_at = True, _ask_to_stop(process)
            elif kill_at is not None and now >= kill_at:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                _, status = os.waitpid(process.pid, 0)
                break
            until_exit((deadline if kill_at is None else kill_at) - time.monotonic())
    process.returncode = os.waitstatus_to_exitcode(status)
    return status, timed_out


@contextmanager
def _exit_watch(pid: int) -> Iterator[Callable[[float], None]]:
    """A wait of at most the seconds given that ends the moment `pid` exits: on its pidfd (Linux
    5.3+), or elsewhere a 2 ms nap. The launcher exits just after the program's output closes,
    and napping 2 ms at a time until then cost a run 1.7 ms of latency on average."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        yield lambda seconds: time.sleep(min(max(seconds, 0.0), 0.002))
        return
    try:
        yield lambda seconds: select.select([fd], [], [], max(seconds, 0.0))
    finally:
        os.close(fd)


def _ask_to_stop(process: subprocess.Popen) -> float:
    with suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    return time.monotonic() + KILL_GRACE_SECONDS


def _decode(status: int) -> tuple[int | None, int | None]:
    """(exit code, None) or (None, signal) from a wait status."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None
