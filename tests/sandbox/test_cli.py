"""`python -m sandbox run`: the sandbox from the shell, with no service, task or kind around it."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sandboxed(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "sandbox", "run", *args]
    return subprocess.run(command, cwd=ROOT, input=stdin, capture_output=True, timeout=60)


def test_a_program_runs_with_its_stdin_and_exit_status():
    done = sandboxed(
        "--", "/usr/bin/python3", "-c", "import sys; print(sys.stdin.read()[::-1]); sys.exit(3)", stdin=b"olleh"
    )
    assert done.returncode == 3 and done.stdout == b"hello\n"
    report = json.loads(done.stderr.splitlines()[-1])
    assert report["exit_code"] == 3 and report["cpu_s"] > 0 and report["memory_kb"] > 0


def test_limits_hold_and_say_so():
    done = sandboxed("--time", "0.5", "--", "/usr/bin/python3", "-c", "while True: pass")
    report = json.loads(done.stderr.splitlines()[-1])
    assert done.returncode != 0 and (report["signal"] is not None or report["wall_timeout"]), report
    assert sandboxed().returncode == 2  # no command: a usage error


def test_the_sandbox_imports_nothing_of_the_service():
    code = (
        "import sys, sandbox.host, sandbox.__main__; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('tasks', 'accounts', 'records', 'idempotency', 'httpapi', 'taskservice', 'web', 'django')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
