"""glibc tuning: bench/soak.py found a worker keeping 911 MB after every task had expired."""

import os
import subprocess
import sys

PROBE = """
import sys
from core import malloc
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
blocks = [bytes(4000) + bytes([i % 256]) for i in range(50_000)]  # ~200 MB from malloc's heap
kept = blocks[::16]  # every 16th stays: the heap cannot shrink from its top
del blocks
before = rss_mb()
if sys.argv[1] == "trim":
    malloc.trim()
print(before, rss_mb())
"""


def probe(mode: str) -> tuple[int, int]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=environment, check=True
    )
    before, after = completed.stdout.split()
    return int(before), int(after)


def test_freed_memory_stays_with_malloc_until_trimmed():
    before, after = probe("keep")
    assert before > 150 and after > 150, (before, after)  # what the worker did for an hour
    before, after = probe("trim")
    assert before > 150 and after < before / 3, (before, after)


def test_tune_limits_arenas_unless_the_environment_says_otherwise():
    script = "from core import malloc; print(malloc.tune())"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=True)
    assert run.stdout.strip() == "['MALLOC_ARENA_MAX=2']"
    environment["MALLOC_ARENA_MAX"] = "4"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=True)
    assert run.stdout.strip() == "[]"
