"""`python -m sandbox run [limits] -- PROGRAM [ARGS...]`: one sandboxed run from the shell, with no
service around it. The program starts in an empty /work with this process's stdin; its stdout
and stderr are passed through, then one JSON line on stderr says how it ended and what it used.
The exit status is the program's (128 + N when signal N ended it, 124 when a limit cut it off)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sandbox.host import host_sandbox
from sandbox.runner import MIB, Limits, SandboxUnavailable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run PROGRAM in the sandbox")
    run.add_argument("--time", type=float, default=2.0, help="CPU seconds (the wall clock gets 2x + 1 s)")
    run.add_argument("--memory", type=int, default=256, help="MiB for the whole process tree")
    run.add_argument("--output", type=int, default=1024, help="KiB per stream")
    run.add_argument("--processes", type=int, default=64)
    run.add_argument("--disk", type=int, default=64, help="MiB of /work")
    run.add_argument("--uid-base", type=int, default=60_001, help="first of the uids runs get as root")
    run.add_argument("--uids", type=int, default=64)
    run.add_argument("--lock-dir", type=Path, default=Path("/run/taskservice-uids"))
    run.add_argument("program", nargs=argparse.REMAINDER, help="-- PROGRAM [ARGS...] (an absolute path)")
    args = parser.parse_args(argv)
    program = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not program:
        parser.error("name the program after --")
    try:
        box = host_sandbox(
            disk_bytes=args.disk * MIB,
            uid_base=args.uid_base,
            uids=args.uids,
            lock_dir=args.lock_dir,
            toolchains=(program[0],),
        )
    except SandboxUnavailable as exc:
        print(f"sandbox unavailable: {exc}", file=sys.stderr)
        return 125
    limits = Limits(
        cpu_seconds=args.time,
        wall_seconds=args.time * 2 + 1,
        memory_bytes=args.memory * MIB,
        output_bytes=args.output * 1024,
        processes=args.processes,
        file_bytes=args.disk * MIB,
    )
    with box.workdir() as space:
        outcome = box.run(program, workspace=space, stdin=sys.stdin.buffer.read(), limits=limits)
    sys.stdout.buffer.write(outcome.stdout)
    sys.stdout.flush()
    sys.stderr.buffer.write(outcome.stderr)
    report = {
        "exit_code": outcome.exit_code,
        "signal": outcome.signal,
        "cpu_s": outcome.cpu_seconds,
        "wall_s": round(outcome.wall_seconds, 3),
        "memory_kb": outcome.memory_kb,
        "truncated": outcome.truncated,
        "wall_timeout": outcome.wall_timeout,
        "oom_killed": outcome.oom_killed,
        "isolation": box.isolation,
    }
    print(json.dumps(report), file=sys.stderr)
    if outcome.wall_timeout or outcome.truncated:
        return 124
    return outcome.exit_code if outcome.exit_code is not None else 128 + (outcome.signal or 9)


if __name__ == "__main__":
    sys.exit(main())
