"""Run directories: made private, removed after the run, and swept when their process is gone
(the soak found tmpfs mounts left by servers stopped mid-run)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sandbox import workspace


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_run_directory_is_private_and_removed_after_the_run():
    with workspace.workspace(uid=None, disk_bytes=1024 * 1024) as space:
        assert space.root.name.startswith(f"{workspace.PREFIX}{os.getpid()}-")
        assert space.root.stat().st_mode & 0o777 == 0o700
        (space.work / "deep").mkdir()
        (space.work / "deep" / "file").write_text("x")
    assert not space.root.exists()


def test_the_sweep_removes_directories_of_processes_that_are_gone_and_keeps_the_living():
    tmp = Path(tempfile.gettempdir())
    stale = Path(tempfile.mkdtemp(prefix=f"{workspace.PREFIX}{dead_pid()}-"))
    (stale / "work" / "a" / "b").mkdir(parents=True)
    (stale / "work" / "a" / "b" / "file").write_text("left behind")
    living = Path(tempfile.mkdtemp(prefix=f"{workspace.PREFIX}{os.getpid()}-"))
    unrelated = Path(tempfile.mkdtemp(prefix=f"{workspace.PREFIX}notapid", dir=tmp))
    try:
        assert workspace.sweep_stale() >= 1
        assert not stale.exists()
        assert living.exists() and unrelated.exists()
    finally:
        for path in (stale, living, unrelated):
            subprocess.run(["rm", "-rf", str(path)], check=True)


def test_the_sweep_unmounts_a_stale_tmpfs():
    """As root (as the suite runs): the mount a killed server left."""
    stale = Path(tempfile.mkdtemp(prefix=f"{workspace.PREFIX}{dead_pid()}-"))
    work = stale / "work"
    work.mkdir()
    assert workspace._mount_tmpfs(work, 1024 * 1024, os.getuid())
    (work / "file").write_text("on the tmpfs")
    try:
        workspace.sweep_stale()
        assert not stale.exists()
    finally:
        if work.is_mount():
            subprocess.run(["umount", "-l", str(work)], check=False)
        subprocess.run(["rm", "-rf", str(stale)], check=True)
