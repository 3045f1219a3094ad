"""glibc malloc settings for the long-lived server processes.

Request bodies, images and results of megabytes are made and freed all day by 8 threads. glibc
kept what they freed: a worker held 911 MB after every task had expired (bench/soak.py). Two
things fix it: at most two arenas (glibc's default is 8 per core, each with its own free lists)
and `trim()` after each expiry sweep, which hands the free pages back. The same soak then ends at
80 MB, with honest p99 unchanged. (Mapping every big block instead, MALLOC_MMAP_THRESHOLD_, got
the memory back too but doubled status p99: page faults on every new buffer.) glibc reads the
same-named environment variables itself; those win.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8
DEFAULTS = {"MALLOC_ARENA_MAX": (M_ARENA_MAX, 2)}
_libc = ctypes.CDLL(None)


def tune() -> list[str]:
    """Apply the defaults glibc was not given in the environment; call before any thread starts.
    Returns what was set (nothing on a libc without mallopt, e.g. musl)."""
    mallopt = getattr(_libc, "mallopt", None)
    if mallopt is None:
        return []
    applied = []
    for name, (option, value) in DEFAULTS.items():
        if name not in os.environ and mallopt(option, value) == 1:
            applied.append(f"{name}={value}")
    return applied


def trim() -> None:
    """Give the free pages inside malloc's heaps back to the system (ctypes drops the GIL meanwhile)."""
    malloc_trim = getattr(_libc, "malloc_trim", None)
    if malloc_trim is not None:
        malloc_trim(0)
