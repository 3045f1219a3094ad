"""Issue 12, sandbox: hostile programs against a real gunicorn and real bubblewrap.

Each test is one attack that worked before the sandbox was rebuilt (secrets through /proc, planted
symlinks, disk fill, undeletable trees, /dev/shm, memory across processes, nested namespaces and
dangerous syscalls, zombies); each asserts the attack fails and the service stays healthy.
"""

import json
import os
import stat
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings

from tests.e2e.conftest import start_gunicorn, wait_ready

pytestmark = pytest.mark.e2e

SECRET = "s3cr3t-marker-7f1c9a"  # in the server's environment only: no program may ever see it


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    server = start_gunicorn(
        tmp_path_factory.mktemp("hostile") / "gunicorn.log",
        {"TASK_STORE": "memory", "DJANGO_SECRET_KEY": SECRET, "HOSTILE_TEST_MARKER": SECRET},
    )
    yield server
    server.stop()


def run(service, language, source, *, stdin="", **limits):
    limits = {"time_s": 2, "memory_mb": 128, **limits}
    params = {"language": language, "source": source, "stdin": stdin, "limits": limits}
    response = requests.post(f"{service.url}/task", json={"kind": "code", "params": params}, timeout=10)
    assert response.status_code == 201, response.text
    status = wait_ready(requests.Session(), service.url, response.json()["task_id"], timeout=60)
    assert status["status"] == "ready", status
    return requests.get(f"{service.url}/result/{status['task_id']}", timeout=10).json()["result"]


def stdout_of(result) -> str:
    return result["run"]["stdout"]


def leftovers(service) -> set[str]:
    """The run directories in the server's own TMPDIR (issue 25 item 8: counting the shared temp
    dir saw another server's runs on the same machine)."""
    return {entry.name for entry in service.tmpdir.iterdir() if entry.name.startswith("taskservice-")}


def test_no_server_variable_is_readable_anywhere_under_proc(service):
    """Item 1: PID 1 inside was bwrap with the server's whole environment in /proc/1/environ."""
    source = f"""
import glob
found = []
for path in glob.glob('/proc/*/environ') + glob.glob('/proc/*/task/*/environ'):
    try:
        data = open(path, 'rb').read()
    except OSError:
        continue
    if b{SECRET!r} in data or b'DJANGO_SECRET_KEY' in data or b'DATABASE_URL' in data:
        found.append(path)
print(found)
print(open('/proc/1/environ', 'rb').read().split(b'\\0'))
"""
    result = run(service, "python", source)
    lines = stdout_of(result).splitlines()
    assert lines[0] == "[]", stdout_of(result)
    assert SECRET not in stdout_of(result)


def test_a_run_creates_nothing_but_a_private_directory_in_the_temp_dir(service):
    """Item 2: the stdin file was `<workdir>.stdin` beside the work dir, open to planted symlinks."""
    seen: dict[str, int] = {}
    stop = threading.Event()
    existing = leftovers(service)

    def watch() -> None:
        while not stop.is_set():
            for entry in service.tmpdir.iterdir():
                if entry.name.startswith("taskservice-") and entry.name not in seen and entry.name not in existing:
                    try:
                        seen[entry.name] = entry.lstat().st_mode
                    except FileNotFoundError:
                        continue

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(3):
            result = run(service, "python", "import time; time.sleep(0.3); print(input()[::-1])", stdin="olleh\n")
            assert stdout_of(result) == "hello\n"
    finally:
        stop.set()
        watcher.join()
    assert seen, "the watcher saw no run directory at all"
    for name, mode in seen.items():
        assert stat.S_ISDIR(mode) and stat.S_IMODE(mode) == 0o700, (name, oct(mode))


def test_the_supervisor_binaries_live_in_a_place_only_root_can_write(service):
    """Item 2: the supervisor was built to and run from a predictable path in /tmp."""
    from sandbox.helpers import helper_dir, helpers

    path = helper_dir().resolve()
    assert path != Path(tempfile.gettempdir()).resolve()
    assert helpers().launch.parent.resolve() == path == helpers().supervise.parent.resolve()
    assert not path.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    for directory in (path, *path.parents):
        info = directory.stat()
        assert info.st_uid in (0, os.geteuid()), directory
        writable_by_others = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        assert not writable_by_others or info.st_mode & stat.S_ISVTX, directory  # sticky (/tmp) protects it


def test_writing_past_the_disk_limit_is_an_error_the_program_sees(service):
    """Item 3: 1 GB went into /work in a quarter of a second; now /work is a bounded tmpfs."""
    source = """
import errno
written = 0
try:
    for n in range(100):
        with open(f'/work/fill{n}', 'wb') as f:
            for _ in range(10):
                f.write(b'x' * 1048576)
                written += 1048576
except OSError as e:
    print(errno.errorcode[e.errno], written // 1048576)
    raise
print('wrote', written // 1048576)
"""
    result = run(service, "python", source, memory_mb=256)
    code, megabytes = stdout_of(result).split()
    assert code == "ENOSPC" and int(megabytes) <= 64
    assert result["verdict"] == "disk_limit_exceeded"
    assert result["run"]["disk_kb"] >= 60 * 1024


def test_a_deep_directory_tree_is_cleaned_up(service):
    """Item 4: 3,000 nested directories made shutil.rmtree fail: the task failed, files stayed."""
    before = leftovers(service)
    source = (
        "import os\nfor _ in range(3000):\n    os.mkdir('d'); os.chdir('d')\nopen('f', 'w').write('x' * 9000)\n"
        "print('deep')"
    )
    result = run(service, "python", source)
    assert result["verdict"] == "ok" and stdout_of(result) == "deep\n"
    assert leftovers(service) <= before


def test_dev_shm_is_small_and_private(service):
    """Item 5: /dev/shm was the host's: 1 GB of host RAM with memory_mb 256."""
    source = """
written = 0
try:
    for n in range(300):
        with open(f'/dev/shm/fill{n}', 'wb') as f:
            f.write(b'x' * 1048576)
        written += 1
except OSError as e:
    print('refused after', written, 'MB')
else:
    print('wrote', written, 'MB')
"""
    result = run(service, "python", source)
    words = stdout_of(result).split()
    assert words[0] == "refused" and int(words[2]) <= 16


def test_memory_is_limited_across_processes(service):
    """Item 6: RLIMIT_AS is per process: 3 children x 60 MB passed a 128 MB limit."""
    source = """
import os, time
pids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(60 * 1048576)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(1)
        os._exit(0)
    pids.append(pid)
codes = [os.waitpid(pid, 0)[1] for pid in pids]
print(codes)
raise SystemExit(0 if all(code == 0 for code in codes) else 1)
"""
    result = run(service, "python", source)
    assert result["verdict"] == "memory_limit_exceeded", result
    assert result["run"]["memory_kb"] >= 100 * 1024


def test_languages_and_readiness_say_how_runs_are_isolated(service):
    """Item 6: where cgroups are not usable, /languages and /readyz must say so."""
    languages = requests.get(f"{service.url}/languages", timeout=10).json()
    ready = requests.get(f"{service.url}/readyz", timeout=10).json()
    assert ready["checks"]["sandbox"] == languages[0]["isolation"]
    if os.geteuid() == 0 and Path("/sys/fs/cgroup/memory/cgroup.procs").exists():
        assert languages[0]["isolation"].startswith("cgroup v1")


# Item 7: each denied thing, as a program would try it. x86_64 syscall numbers.
DENIED_SYSCALLS = {
    "ptrace_attach_pid1": "syscall(101, 16, 1, 0, 0)",
    "ptrace_attach_pid2": "syscall(101, 16, 2, 0, 0)",
    "unshare_user": "syscall(272, 0x10000000)",
    "unshare_mount": "syscall(272, 0x00020000)",
    "setns": "syscall(308, 0, 0)",
    "mount_tmpfs": "syscall(165, b'none', b'/tmp', b'tmpfs', 0, None)",
    "keyctl": "syscall(250, 0, -3, 0)",
    "bpf": "syscall(321, 0, None, 0)",
    "perf_event_open": "syscall(298, None, 0, -1, -1, 0)",
    "userfaultfd": "syscall(323, 0)",
    "process_vm_readv": "syscall(310, 1, None, 0, None, 0, 0)",
    "process_vm_writev": "syscall(311, 1, None, 0, None, 0, 0)",
}


@pytest.mark.parametrize("name", DENIED_SYSCALLS)
def test_dangerous_syscalls_are_denied(service, name):
    source = f"""
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
syscall = libc.syscall
result = {DENIED_SYSCALLS[name]}
print(result, errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno()))
"""
    assert stdout_of(run(service, "python", source)) == "-1 EPERM\n"


def test_nested_user_namespaces_cannot_be_made(service):
    """Item 7: `unshare -Urm` then a 12 GB tmpfs mount worked inside."""
    result = run(service, "bash", "unshare -Urm sh -c 'mount -t tmpfs -o size=12g none /tmp && echo MOUNTED'")
    assert "MOUNTED" not in stdout_of(result)
    assert result["verdict"] == "runtime_error"


@pytest.mark.parametrize(
    "family", ["AF_NETLINK, socket.SOCK_RAW, 0", "AF_INET, socket.SOCK_STREAM", "AF_INET6, socket.SOCK_DGRAM"]
)
def test_only_unix_sockets_can_be_opened(service, family):
    source = f"""
import socket
try:
    socket.socket(socket.{family})
    print('opened')
except OSError as e:
    print(type(e).__name__, e.errno)
unix = socket.socket(socket.AF_UNIX)
print('unix ok')
"""
    lines = stdout_of(run(service, "python", source)).splitlines()
    assert lines[0] != "opened" and lines[1] == "unix ok"


def test_threads_and_processes_still_work_under_the_filter(service):
    source = """
import subprocess, threading
out = []
threads = [threading.Thread(target=out.append, args=(n,)) for n in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(sorted(out), subprocess.run(['echo', 'child'], capture_output=True, text=True).stdout.strip())
"""
    assert stdout_of(run(service, "python", source)) == "[0, 1, 2, 3] child\n"


def test_500_back_to_back_runs_on_two_threads_all_succeed(service):
    """Item 8: finished runs' bwrap processes piled up as zombies and exhausted RLIMIT_NPROC."""
    session = requests.Session()

    def one(n: int) -> str:
        params = {"language": "bash", "source": f"echo {n}"}
        task_id = session.post(f"{service.url}/task", json={"kind": "code", "params": params}, timeout=30).json()[
            "task_id"
        ]
        wait_ready(session, service.url, task_id, timeout=120)
        return session.get(f"{service.url}/result/{task_id}", timeout=30).text

    with ThreadPoolExecutor(2) as pool:
        results = [json.loads(body)["result"] for body in pool.map(one, range(500))]
    failures = [r for r in results if r["verdict"] != "ok"]
    assert not failures, (len(failures), failures[:2])
    assert [r["run"]["stdout"] for r in results] == [f"{n}\n" for n in range(500)]
    zombies = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _is_zombie(p)]
    assert len(zombies) < 10, zombies


def _is_zombie(proc: Path) -> bool:
    try:
        return proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def test_a_fork_bomb_in_one_service_process_does_not_starve_another(gunicorn):
    """Every service process used uids from the base up on its own: a fork bomb running as the
    first uid in one (gunicorn or Celery worker) left another's run as that uid unable to fork."""
    bombed, neighbour = gunicorn(), gunicorn()
    hold = (  # fork until refused, then every process sleeps: the uid's process count stays full
        "import os, time\nwhile True:\n    try:\n        if os.fork() == 0: break\n    except OSError: break\n"
        "time.sleep(30)"
    )
    limits = {"time_s": 4, "processes": settings.CODE_MAX_PROCESSES}  # the most a run may have
    bomb = {"kind": "code", "params": {"language": "python", "source": hold, "limits": limits}}
    task_id = requests.post(f"{bombed.url}/task", json=bomb, timeout=10).json()["task_id"]
    from tests.support import wait_for

    wait_for(lambda: len(sandbox_uid_processes()) >= 50, timeout=30, what="the bomb to hold its processes")
    verdicts = [run(neighbour, "c", '#include <stdio.h>\nint main(){puts("fine");}')["verdict"] for _ in range(3)]
    assert verdicts == ["ok"] * 3
    assert wait_ready(requests.Session(), bombed.url, task_id, timeout=60)["status"] == "ready"


def sandbox_uid_processes() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            uid = int((entry / "status").read_text().split("Uid:")[1].split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if settings.CODE_SANDBOX_UID_BASE <= uid < settings.CODE_SANDBOX_UID_BASE + settings.CODE_SANDBOX_UIDS:
            found.append(entry.name)
    return found
