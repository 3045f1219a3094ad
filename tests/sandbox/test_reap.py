"""The runner waits for its launcher on a pidfd: woken when it exits, not on the next 2 ms nap."""

import os
import subprocess
import sys
import time

import pytest

from sandbox import runner


def test_the_wait_ends_when_the_process_exits_not_at_its_timeout():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    try:
        with runner._exit_watch(child.pid) as until_exit:
            started = time.monotonic()
            until_exit(30)
            waited = time.monotonic() - started
        assert waited < 15  # woken by the exit (0.2 s from now, longer on a loaded machine)
        assert child.wait(timeout=30) == 0
    finally:
        child.kill()
        child.wait()


def test_without_pidfds_it_naps(monkeypatch):
    def unsupported(pid):
        raise OSError("no pidfd_open on this kernel")

    monkeypatch.setattr(os, "pidfd_open", unsupported)
    with runner._exit_watch(os.getpid()) as until_exit:
        started = time.monotonic()
        until_exit(30)
        assert time.monotonic() - started < 15  # a nap of at most 2 ms, never the whole timeout


@pytest.mark.parametrize("stop_now", [False, True])
def test_reaping_gives_the_exit_status(stop_now):
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"], start_new_session=True)
    status, timed_out = runner._reap(child, time.monotonic() + 30, stop_now=stop_now)
    assert not timed_out and (os.waitstatus_to_exitcode(status) in (3, -15))
