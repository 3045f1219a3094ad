"""Finding the service's own cgroup, on a host and in a container, against a fake hierarchy."""

import os
from pathlib import Path

import pytest

from sandbox import cgroups

HOST_PATH = "/libpod_parent/libpod-7a222de5"


def hierarchy(root: Path, group: str) -> None:
    """A v1 layout whose memory and pids controllers hold this process in `group`."""
    for controller in ("memory", "pids"):
        directory = root / controller / group.lstrip("/")
        directory.mkdir(parents=True, exist_ok=True)
        (root / controller / "cgroup.procs").write_text("1\n")
        (directory / "cgroup.procs").write_text(f"1\n{os.getpid()}\n")


@pytest.fixture
def own_groups(monkeypatch):
    monkeypatch.setattr(cgroups.os, "geteuid", lambda: 0)
    monkeypatch.setattr(cgroups, "_own_groups", lambda: {"memory": HOST_PATH, "pids": HOST_PATH})


def test_on_a_host_runs_go_below_the_service_s_own_group(tmp_path, own_groups):
    hierarchy(tmp_path, HOST_PATH)
    found = cgroups.detect(tmp_path)
    assert isinstance(found, cgroups.Cgroups), found
    for controller in ("memory", "pids"):
        assert (tmp_path / controller / HOST_PATH.lstrip("/") / f"taskservice-{os.getpid()}").is_dir()


def test_in_a_container_sharing_the_host_s_cgroup_namespace_the_mount_is_the_own_group(tmp_path, own_groups):
    """podman or Docker on cgroup v1: /proc/self/cgroup names the host's path, which the container's
    mount does not have (before the fix: "rlimits only: cannot make a v1 memory cgroup")."""
    hierarchy(tmp_path, "/")
    found = cgroups.detect(tmp_path)
    assert isinstance(found, cgroups.Cgroups), found
    for controller in ("memory", "pids"):
        assert (tmp_path / controller / f"taskservice-{os.getpid()}").is_dir()


def test_a_group_found_nowhere_is_a_reason_not_a_guess(tmp_path, own_groups):
    """Neither the host's path nor the mount itself holds this process: no cgroups, and why."""
    hierarchy(tmp_path, "/elsewhere")
    found = cgroups.detect(tmp_path)
    assert isinstance(found, str) and found.startswith("rlimits only: cannot make a v1 memory cgroup"), found
