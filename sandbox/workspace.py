"""A run's files on the host: a private directory, and in it the size-limited tmpfs seen as /work.

- `mkdtemp` makes the directory (0700, unpredictable name), so nobody else can plant a symlink
  where the service will write; nothing of a run lives beside it in the shared temp dir (stdin
  is a memfd, not a file).
- As root, /work is a tmpfs of CODE_MAX_DISK_MB: a program that fills it gets ENOSPC, and
  cleanup is an unmount, which no tree of any depth can defeat. Its pages are charged to the
  run's memory cgroup. Without root (no mount), /work is a plain directory bounded per file by
  RLIMIT_FSIZE, removed with `rm -rf`, which walks any depth.
"""

from __future__ import annotations

import ctypes
import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

PREFIX = "taskservice-code-"  # then the owning process's pid: sweep_stale() knows whose a directory is
MS_NOSUID, MS_NODEV = 2, 4
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True, slots=True)
class Workspace:
    root: Path  # private to the run (0700)
    work: Path  # mounted in the sandbox as /work
    uid: int | None  # the run's own uid, when the service is root
    disk_bytes: int | None  # the size of /work when it is a tmpfs; None: not limited as a whole

    def disk_used_bytes(self) -> int | None:
        if self.disk_bytes is None:
            return None
        stats = os.statvfs(self.work)
        return (stats.f_blocks - stats.f_bfree) * stats.f_frsize


@contextmanager
def workspace(*, uid: int | None, disk_bytes: int) -> Iterator[Workspace]:
    root = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    work = root / "work"
    mounted = False
    try:
        work.mkdir(mode=0o700)
        if uid is not None:
            mounted = _mount_tmpfs(work, disk_bytes, uid)
            os.chown(work, uid, uid)
            os.chown(root, uid, uid)  # bwrap runs as the run's uid and must reach /work to bind it
        yield Workspace(root, work, uid, disk_bytes if mounted else None)
    finally:
        if mounted and _libc.umount2(bytes(work), MNT_DETACH) != 0:
            logger.error("could not unmount %s: %s", work, os.strerror(ctypes.get_errno()))
        _remove(root)


def sweep_stale() -> int:
    """Remove the run directories of processes that are gone: a server killed (or stopped past its
    grace) mid-run never reached the cleanup above, and left a mounted tmpfs behind."""
    removed = 0
    for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = root.name.removeprefix(PREFIX).split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        work = root / "work"
        if work.is_mount() and _libc.umount2(bytes(work), MNT_DETACH) != 0:
            logger.error("could not unmount the stale %s: %s", work, os.strerror(ctypes.get_errno()))
            continue
        _remove(root)
        removed += not root.exists()
    if removed:
        logger.info("removed %d run directories left by processes that are gone", removed)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mount_tmpfs(target: Path, size: int, uid: int) -> bool:
    options = f"size={size},nr_inodes={max(1024, size // 4096)},mode=0700,uid={uid},gid={uid}"
    if _libc.mount(b"tmpfs", bytes(target), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()) == 0:
        return True
    logger.warning("no tmpfs for %s (%s): disk use is bounded per file only", target, os.strerror(ctypes.get_errno()))
    return False


def _remove(root: Path) -> None:
    """Never raises: a run's leftovers must not fail its task."""
    with suppress(OSError):  # the usual case: /work was a tmpfs, now unmounted, so both are empty
        (root / "work").rmdir()
        root.rmdir()
    if not root.exists():
        return
    # A program's own tree in a plain /work: it may be thousands deep or chmod 000; rm walks any depth.
    subprocess.run(["chmod", "-R", "u+rwx", str(root)], capture_output=True, check=False)
    subprocess.run(["rm", "-rf", "--one-file-system", str(root)], capture_output=True, check=False)
    if root.exists():
        logger.error("could not remove the run directory %s", root)
