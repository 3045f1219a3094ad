"""Builds the sandbox supervisor (supervise.c) once per host, into a cache keyed by its source."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("supervise.c")


class SupervisorUnavailable(RuntimeError):
    pass


@functools.cache
def supervisor_binary() -> Path:
    """Path of the compiled supervisor; compiled on first use with the host's C compiler."""
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"taskservice-supervise-{os.geteuid()}-{digest}"
    if target.exists():
        return target
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SupervisorUnavailable("no C compiler to build the sandbox supervisor (apt-get install gcc)")
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    result = subprocess.run(
        [compiler, "-O2", "-static-pie", "-o", str(partial), str(SOURCE)], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:  # no static libc here: a dynamic build works too (/usr is in the sandbox)
        result = subprocess.run(
            [compiler, "-O2", "-o", str(partial), str(SOURCE)], capture_output=True, text=True, timeout=60
        )
    if result.returncode != 0:
        raise SupervisorUnavailable(f"could not build the sandbox supervisor: {result.stderr.strip()[:300]}")
    partial.chmod(0o755)
    partial.replace(target)  # atomic: concurrent builders do not see half a file
    return target
