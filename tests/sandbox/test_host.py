"""A host whose bubblewrap cannot make namespaces (a container's default profile) has no sandbox:
the check says so as SandboxUnavailable, and a server process still starts."""

import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from sandbox.host import host_sandbox
from sandbox.runner import MIB, SandboxUnavailable

REFUSING_BWRAP = '#!/bin/sh\necho "bwrap: Can\'t mount proc on /newroot/proc: Operation not permitted" >&2\nexit 1\n'


@pytest.fixture
def refusing_bwrap(monkeypatch):
    """A bwrap that fails as Docker's seccomp profile makes the real one fail, where runs' uids can
    reach it (the test's own tmp_path is private to root)."""
    directory = Path(tempfile.mkdtemp(prefix="taskservice-test-bwrap-"))
    try:
        directory.chmod(0o755)
        script = directory / "bwrap"
        script.write_text(REFUSING_BWRAP)
        script.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        monkeypatch.setattr("sandbox.runner.BWRAP", str(script))
        yield
    finally:
        shutil.rmtree(directory)


def test_a_bwrap_that_cannot_mount_proc_means_no_sandbox(refusing_bwrap):
    box = host_sandbox(disk_bytes=16 * MIB, uid_base=60_001, uids=64, lock_dir=Path("/run/taskservice-uids"))
    with pytest.raises(SandboxUnavailable, match="Can't mount proc"):
        box.check()


def test_a_server_process_starts_without_a_sandbox(refusing_bwrap):
    """What broke the container image: the start-up check raised, and the worker did not boot."""
    from kinds.code import kind as code
    from tasks import services

    code.sandbox.cache_clear()
    code.sandbox_ready.cache_clear()
    try:
        services.prepare_kinds()  # no exception
        # /readyz says why no program can run, rather than the isolation runs would have had
        assert code.isolation().startswith("unavailable: the sandbox cannot run programs here: bwrap")
    finally:
        code.sandbox.cache_clear()
        code.sandbox_ready.cache_clear()
