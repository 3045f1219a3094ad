"""The sandbox as this host can give it: helpers built, stale run directories swept, a cgroup
per run where the host allows one, and a uid per run when the service is root."""

from __future__ import annotations

import atexit
import os
from collections.abc import Callable
from pathlib import Path

from sandbox import cgroups
from sandbox.helpers import HelpersUnavailable, helpers
from sandbox.runner import Sandbox, SandboxUnavailable, UidPool, usr_local_needs
from sandbox.workspace import sweep_stale


def host_sandbox(
    *,
    disk_bytes: int,
    uid_base: int,
    uids: int,
    lock_dir: Path,
    toolchains: tuple[str, ...] = (),
    on_fault: Callable[[], None] = lambda: None,
) -> Sandbox:
    """Raises SandboxUnavailable (with the reason) where programs cannot be run safely here."""
    try:
        built = helpers()
    except HelpersUnavailable as exc:
        raise SandboxUnavailable(str(exc)) from None
    sweep_stale()
    groups = cgroups.detect()
    if isinstance(groups, cgroups.Cgroups):
        atexit.register(groups.close)
    pool = UidPool(uid_base, uids, lock_dir) if os.geteuid() == 0 else None
    return Sandbox(
        helpers=built,
        uid_pool=pool,
        cgroups=groups,
        disk_bytes=disk_bytes,
        usr_local=usr_local_needs(list(toolchains)),  # the binaries runs will exec
        on_fault=on_fault,
    )
