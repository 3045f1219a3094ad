"""The sandbox's two C helpers (launch.c on the host, supervise.c inside), built once per source.

They are built into CODE_HELPER_DIR (default: `<python prefix>/libexec/taskservice`), never into
a shared temp dir: whoever can write where the service finds its helpers runs code as the
service. So the directory and every parent must belong to root or the service's user and be
writable by no one else; otherwise the code kind is unavailable. The Docker image builds them
at build time (`manage.py build_sandbox_helpers`), into a directory its user cannot write.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SOURCES = {name: Path(__file__).with_name(f"{name}.c") for name in ("launch", "supervise")}
LIBRARIES = {"launch": [], "supervise": ["seccomp"]}


class HelpersUnavailable(RuntimeError):
    """The helpers are missing and cannot be built here, or live somewhere unsafe."""


@dataclass(frozen=True, slots=True)
class Helpers:
    launch: Path
    supervise: Path


def default_dir() -> Path:
    return Path(sys.prefix) / "libexec" / "taskservice"


def helper_dir() -> Path:
    """CODE_HELPER_DIR from the environment (read here: the sandbox needs no Django settings)."""
    configured = os.environ.get("CODE_HELPER_DIR", "").strip()
    return Path(configured) if configured else default_dir()


@functools.cache
def helpers() -> Helpers:
    """The built helpers, compiled now with the host's C compiler if this source is new."""
    return build(helper_dir())


def build(directory: Path) -> Helpers:
    directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    check_private(directory)
    paths = {}
    for name, source in SOURCES.items():
        digest = hashlib.sha256(source.read_bytes() + " ".join(LIBRARIES[name]).encode()).hexdigest()[:16]
        target = directory / f"{name}-{digest}"
        if not target.exists():
            _compile(source, target, LIBRARIES[name])
        check_private(target)
        paths[name] = target
    return Helpers(**paths)


def check_private(path: Path) -> None:
    """Raise unless `path` and each directory above it are root's or ours and writable by no one
    else. A sticky directory above (such as /tmp) may be world-writable: there, others cannot
    rename or delete an entry that is not theirs, and the entry itself is checked too."""
    for entry in (path, *path.resolve().parents):
        info = entry.lstat() if entry == path else entry.stat()
        shared = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if info.st_uid not in (0, os.geteuid()) or (shared and (entry == path or not info.st_mode & stat.S_ISVTX)):
            raise HelpersUnavailable(
                f"{entry} is writable by others or not owned by root or uid {os.geteuid()}: the sandbox helpers "
                "must live where only the service can change them (set CODE_HELPER_DIR)"
            )


def _compile(source: Path, target: Path, libraries: list[str]) -> None:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise HelpersUnavailable("no C compiler to build the sandbox helpers (apt-get install gcc)")
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    # Static where the libraries allow it (nothing to resolve inside the sandbox), else dynamic:
    # /usr is in the sandbox.
    attempts = (
        ["-static-pie", *(f"-l:lib{library}.a" for library in libraries)],
        [f"-l{library}" for library in libraries],
    )
    errors = ""
    for flags in attempts:
        command = [compiler, "-O2", "-o", str(partial), str(source), *flags]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode == 0:
            partial.chmod(0o755)
            partial.replace(target)  # atomic: concurrent builders do not see half a file
            return
        errors = result.stderr.strip()
    hint = " (apt-get install libseccomp-dev)" if "seccomp" in errors else ""
    raise HelpersUnavailable(f"could not build {source.name}{hint}: {errors[:300]}")
