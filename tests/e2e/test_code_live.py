"""Hostile programs against the real service: each gets its verdict, and the service stays healthy."""

import os
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.e2e.conftest import ROOT, wait_ready

pytestmark = pytest.mark.e2e

SANDBOX_UIDS = range(settings.CODE_SANDBOX_UID_BASE, settings.CODE_SANDBOX_UID_BASE + settings.CODE_SANDBOX_UIDS)


def run(service, language, source, **limits):
    params = {"language": language, "source": source, "limits": {"time_s": 1, "memory_mb": 128, **limits}}
    response = requests.post(f"{service.url}/task", json={"kind": "code", "params": params}, timeout=10)
    assert response.status_code == 201, response.text
    status = wait_ready(requests.Session(), service.url, response.json()["task_id"], timeout=60)
    assert status["status"] == "ready", status
    return requests.get(f"{service.url}/result/{status['task_id']}", timeout=10).json()["result"]


def healthy(service):
    assert requests.get(f"{service.url}/healthz", timeout=5).status_code == 200
    assert run(service, "python", "print(6 * 7)")["run"]["stdout"] == "42\n"


def sandbox_processes() -> list[str]:
    """Processes left running as a sandbox uid (or, when not root, with our workdir prefix)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            uid = int((entry / "status").read_text().split("Uid:")[1].split()[0])
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if (os.geteuid() == 0 and uid in SANDBOX_UIDS) or "taskservice-code-" in cmdline:
            found.append(f"{entry.name} uid={uid} {cmdline}")
    return found


def wait_no_sandbox_processes():
    from tests.support import wait_for

    wait_for(lambda: not sandbox_processes(), timeout=10, what="sandbox processes to be gone")


def worker_rss_kb(service) -> int:
    children = Path(f"/proc/{service.process.pid}/task/{service.process.pid}/children").read_text().split()
    return max(int(Path(f"/proc/{pid}/status").read_text().split("VmRSS:")[1].split()[0]) for pid in children)


def test_infinite_loop_is_time_limit_exceeded(service):
    result = run(service, "python", "while True: pass")
    assert result["verdict"] == "time_limit_exceeded"
    assert result["run"]["wall_s"] < 1 + 1.5
    healthy(service)


def test_memory_hog_is_memory_limit_exceeded(service):
    result = run(service, "python", "x = []\nwhile True: x.append(bytearray(10**6))")
    assert result["verdict"] == "memory_limit_exceeded"
    healthy(service)


def test_memory_hog_in_c_is_memory_limit_exceeded(service):
    source = (
        "#include <stdlib.h>\n#include <string.h>\n"
        "int main(void){for(;;){char*p=malloc(1<<20);if(!p)return 1;memset(p,1,1<<20);}}"
    )
    assert run(service, "c", source)["verdict"] == "memory_limit_exceeded"


def test_fork_bomb_is_contained_and_leaves_nothing(service):
    result = run(service, "bash", ":(){ :|:& };:\nsleep 10")
    assert result["verdict"] == "time_limit_exceeded"
    assert "Resource temporarily unavailable" in result["run"]["stderr"]  # RLIMIT_NPROC stopped it
    wait_no_sandbox_processes()
    healthy(service)


def test_100mb_of_output_is_cut_and_memory_stays_bounded(service):
    before = worker_rss_kb(service)
    result = run(
        service,
        "python",
        "import sys\nchunk = 'y' * 65536\nfor _ in range(1600): sys.stdout.write(chunk)",
        output_kb=1024,
    )
    assert result["verdict"] == "output_limit_exceeded" and result["run"]["truncated"] is True
    assert len(result["run"]["stdout"]) == 1024 * 1024
    assert worker_rss_kb(service) - before < 50 * 1024  # far below the 100 MB written
    healthy(service)


def test_double_forked_background_process_does_not_survive(service):
    source = "setsid sleep 300 < /dev/null > /dev/null 2>&1 &\n(sleep 301 &)\necho started"
    result = run(service, "bash", source)
    assert result["verdict"] == "ok" and result["run"]["stdout"] == "started\n"
    wait_no_sandbox_processes()
    assert not [p for p in sandbox_processes() if "sleep 30" in p]


def test_service_settings_and_environment_are_not_visible(service):
    settings_file = ROOT / "taskservice" / "settings.py"
    source = "\n".join(
        [
            "import os",
            "print(sorted(os.environ))",
            "try:",
            f"    open({str(settings_file)!r}).read()",
            "    print('LEAK')",
            "except OSError as e:",
            "    print(type(e).__name__)",
            "print(os.path.exists('/work/main'), os.path.exists('/root'))",
        ]
    )
    result = run(service, "python", source)
    assert result["run"]["stdout"] == "['HOME', 'LANG', 'PATH', 'PWD']\nFileNotFoundError\nFalse False\n"


@pytest.mark.parametrize("path", ["/usr/evil", "/evil", "/etc/evil", "../outside"])
def test_writing_outside_the_work_directory_is_denied(service, path):
    source = f"try:\n    open({path!r}, 'w').write('x')\n    print('WROTE')\n"
    source += "except OSError as e:\n    print('denied', e.strerror)"
    stdout = run(service, "python", source)["run"]["stdout"]
    assert stdout.startswith("denied"), stdout


def test_no_network_not_even_to_the_service_itself(service):
    port = service.url.rsplit(":", 1)[1]
    source = f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
    source += "    print('CONNECTED')\nexcept OSError as e:\n    print('refused', type(e).__name__)"
    assert run(service, "python", source)["run"]["stdout"].startswith("refused")


def test_etc_shadow_is_not_readable(service):
    source = "try:\n    print(open('/etc/shadow').read())\nexcept OSError as e:\n    print('denied', type(e).__name__)"
    assert run(service, "python", source)["run"]["stdout"].startswith("denied")


def test_a_program_cannot_kill_its_supervisor(service):
    """The supervisor is the run's PID 1 (issue 25 item 1): a SIGKILL from inside is dropped by the
    kernel, and the run ends and is reported as the program ended it."""
    result = run(service, "python", "import os\nos.kill(os.getppid(), 9)\nprint('still here')\nraise SystemExit(3)")
    assert result["verdict"] == "runtime_error" and result["run"]["exit_code"] == 3, result
    assert result["run"]["stdout"] == "still here\n" and result["run"]["time_s"] is not None
    healthy(service)
