"""One run of an untrusted program: bubblewrap namespaces, rlimits, a wall clock, capped output.

- bwrap gives a new user, PID, network, IPC, UTS (and cgroup) namespace, read-only /usr (plus the
  dynamic linker cache), a private /proc, /dev and a 64 MiB tmpfs /tmp, the root remounted
  read-only, and the run's own directory as the only other writable place. The environment is
  empty but for PATH, LANG and HOME, and every capability is dropped.
- util-linux `prlimit` sets CPU time, address space, process count, file size, open files and
  core size before bwrap starts, so the limits hold from the first instruction (no preexec_fn in
  a threaded server).
- When the service runs as root, each concurrent run uses its own unprivileged uid from a small
  pool: RLIMIT_NPROC then counts only that run's processes (it is not enforced for root).
- Inside, a tiny supervisor (supervise.c) forks the program, waits for it and reports its exit
  status, CPU time and peak memory on a pipe the program cannot write to.
- The supervisor runs as PID 2 in its own PID namespace: when it exits or is killed, the kernel
  kills everything the program left behind.
"""

from __future__ import annotations

import os
import queue
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

BWRAP = "bwrap"
PRLIMIT = "prlimit"
SETPRIV = "setpriv"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
READ_CHUNK = 65536
SUPERVISOR_PATH = "/run/supervise"
TMP_BYTES = 64 * 1024 * 1024


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
    processes: int
    file_bytes: int
    open_files: int = 64


@dataclass(frozen=True, slots=True)
class Outcome:
    exit_code: int | None
    signal: int | None
    stdout: bytes
    stderr: bytes
    cpu_seconds: float | None  # None when the run was killed before the supervisor could report
    wall_seconds: float
    memory_kb: int | None
    truncated: bool
    wall_timeout: bool


def bwrap_args(workdir: Path, supervisor: Path | None = None) -> list[str]:
    args = [
        BWRAP, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--uid", "1000", "--gid", "1000",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--symlink", "usr/lib", "/lib",
    ]  # fmt: skip
    if Path("/usr/lib64").exists():
        args += ["--symlink", "usr/lib64", "/lib64"]
    if Path("/etc/ld.so.cache").exists():
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    args += [
        "--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
        "--bind", str(workdir), "/work", "--chdir", "/work",
        *(["--ro-bind", str(supervisor), SUPERVISOR_PATH] if supervisor else []),
        "--remount-ro", "/",  # the sandbox's own root: only /work and /tmp stay writable
        "--clearenv", "--setenv", "PATH", SANDBOX_PATH, "--setenv", "LANG", "C.UTF-8", "--setenv", "HOME", "/work",
        "--",
    ]  # fmt: skip
    return args


def prlimit_args(limits: Limits) -> list[str]:
    cpu = max(1, int(limits.cpu_seconds + 0.999))
    return [
        PRLIMIT,
        f"--cpu={cpu}:{cpu + 1}",
        f"--as={limits.memory_bytes}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_bytes}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


class UidPool:
    """Unprivileged uids, one per concurrent run, so RLIMIT_NPROC counts that run alone."""

    def __init__(self, first: int, size: int) -> None:
        self._free: queue.Queue[int] = queue.Queue()
        for uid in range(first, first + size):
            self._free.put(uid)

    @contextmanager
    def lease(self) -> Iterator[int]:
        uid = self._free.get()
        try:
            yield uid
        finally:
            self._free.put(uid)


class Sandbox:
    def __init__(self, *, supervisor: Path, uid_pool: UidPool | None) -> None:
        self._supervisor = supervisor
        self._uid_pool = uid_pool if os.geteuid() == 0 else None

    @contextmanager
    def workdir(self) -> Iterator[tuple[Path, int | None]]:
        """A fresh directory for one task (source, binary, files it writes), removed afterwards."""
        if self._uid_pool is None:
            with tempfile.TemporaryDirectory(prefix="taskservice-code-") as path:
                yield Path(path), None
            return
        with self._uid_pool.lease() as uid, tempfile.TemporaryDirectory(prefix="taskservice-code-") as path:
            os.chown(path, uid, uid)
            yield Path(path), uid

    def run(self, argv: list[str], *, workdir: Path, uid: int | None, stdin: bytes, limits: Limits) -> Outcome:
        """Run `argv` inside the sandbox in `workdir`; never raises for anything the program does."""
        stdin_path = workdir.parent / f"{workdir.name}.stdin"
        stdin_path.write_bytes(stdin)
        try:
            with stdin_path.open("rb") as stdin_file:
                return self._run(argv, workdir, uid, stdin_file, limits)
        finally:
            stdin_path.unlink(missing_ok=True)

    def _run(self, argv: list[str], workdir: Path, uid: int | None, stdin_file: object, limits: Limits) -> Outcome:
        # Dropping to the run's uid with an exec'd setpriv, not Popen(user=...): that would make
        # CPython fork() the whole server instead of vfork() (24 ms instead of 1 for a 300 MB parent).
        identity = [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"] if uid is not None else []
        report_read, report_write = os.pipe()
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                identity
                + prlimit_args(limits)
                + bwrap_args(workdir, self._supervisor)
                + [SUPERVISOR_PATH, str(report_write), *argv],
                stdin=stdin_file,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                pass_fds=(report_write,),
            )
        finally:
            os.close(report_write)
        report = os.fdopen(report_read, "rb")
        captured = {process.stdout: bytearray(), process.stderr: bytearray(), report: bytearray()}
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
        if wall_timeout or truncated:
            _kill(process)
        status, timed_out = _reap(process, deadline)
        wall = time.monotonic() - started
        for stream in captured:
            stream.close()
        stderr = bytes(captured[process.stderr])
        fields = bytes(captured[report]).split()
        if len(fields) == 4:
            program_status, utime, stime, maxrss = (int(field) for field in fields)
            exit_code, sig = _decode(program_status)
            cpu, memory = (utime + stime) / 1e6, maxrss
        elif wall_timeout or timed_out or truncated:
            exit_code, sig, cpu, memory = None, signal.SIGKILL, None, None
        elif stderr.startswith(b"bwrap:"):
            raise SandboxFault(stderr.decode(errors="replace").strip()[:500])
        else:  # the program killed its own supervisor
            exit_code, sig = _decode(status)
            cpu, memory = None, None
        return Outcome(
            exit_code=exit_code,
            signal=sig,
            stdout=bytes(captured[process.stdout]),
            stderr=stderr,
            cpu_seconds=cpu,
            wall_seconds=wall,
            memory_kb=memory,
            truncated=truncated,
            wall_timeout=wall_timeout or timed_out,
        )


def _reap(process: subprocess.Popen, deadline: float) -> tuple[int, bool]:
    """Wait for bwrap, but not past the deadline: a program may close its output and run on."""
    while True:
        pid, status = os.waitpid(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, False
        if time.monotonic() >= deadline:
            _kill(process)
            _, status = os.waitpid(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, True
        time.sleep(0.002)


def _kill(process: subprocess.Popen) -> None:
    """bwrap dies, --die-with-parent takes the sandbox's init with it, and the PID namespace goes."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _decode(status: int) -> tuple[int | None, int | None]:
    """(exit code, None) or (None, signal) from a wait status."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


def check_bwrap() -> None:
    """Raise SandboxUnavailable unless a trivial program runs in the full sandbox."""
    for tool in (BWRAP, PRLIMIT, SETPRIV):
        if shutil.which(tool) is None:
            raise SandboxUnavailable(f"{tool} is not installed (Debian: apt-get install bubblewrap util-linux)")
    with tempfile.TemporaryDirectory(prefix="taskservice-check-") as path:
        result = subprocess.run([*bwrap_args(Path(path)), "/bin/true"], capture_output=True, text=True, timeout=10)
    if result.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot create its namespaces here: {result.stderr.strip()[:300]}")
