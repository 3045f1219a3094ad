"""Code runner benchmark: N (default 200) Python hello-world tasks through the live service,
against, in the same run, the same program run directly with subprocess (no sandbox) and run in
the sandbox alone (no HTTP), each on the same number of workers.

With --layers it also times one run at a time (serial, `--layer-runs` each) through more and more
of the sandbox chain, wall time and the machine's CPU per run, so each layer's cost is the
difference from the row above: bare bwrap, + the seccomp supervisor, + the launcher (rlimits, uid,
subreaper), + a cgroup, + the tmpfs /work (the whole sandbox). A row apart, util-linux `unshare`
making the same namespaces with nothing mounted but /proc, is the kernel's floor under bwrap.

With --languages (all installed, or the names given) it instead runs each language's hello world
(tests/programs.py) --per-language times through the service and directly (its compile and run
commands in a fresh directory, no sandbox, no HTTP), on the same workers, and prints per language
throughput and latency p50/p99 of both and their ratio.

Usage: python bench/code.py [--tasks 200] [--workers 2] [--layers] [--layer-runs 100]
       python bench/code.py --languages [NAME ...] [--per-language 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "taskservice.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from bench.cpu import machine_busy_ms  # noqa: E402
from bench.live import RESULTS, gunicorn, machine, percentile, server_figures, wait_done  # noqa: E402
from kinds.code.kind import run_limits, sandbox  # noqa: E402
from kinds.code.languages import LANGUAGES, Language, available, command  # noqa: E402
from sandbox import cgroups  # noqa: E402
from sandbox.runner import (  # noqa: E402
    LAUNCH_ENVIRONMENT,
    SUPERVISOR_PATH,
    GroupLimits,
    bwrap_args,
    rlimit_arg,
)

SOURCE = 'print("hello, world")\n'
# The kernel's part of the sandbox's namespaces, with no root built (util-linux's unshare).
UNSHARE = ["unshare", "--map-user=1000", "--map-group=1000", "--pid", "--fork", "--net", "--ipc", "--uts"]
UNSHARE += ["--cgroup", "--mount", "--mount-proc"]
LIMITS = {"time_s": 2.0, "memory_mb": 256, "output_kb": 64}
PYTHON = LANGUAGES["python"]


def direct_once(_: int) -> float:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as path:
        Path(path, "main.py").write_text(SOURCE)
        result = subprocess.run(command(PYTHON.run, PYTHON), cwd=path, capture_output=True, timeout=10)
    assert result.stdout == b"hello, world\n", result
    return time.perf_counter() - started


def sandbox_once(_: int) -> float:
    started = time.perf_counter()
    box = sandbox()
    with box.workdir() as space:
        (space.work / "main.py").write_text(SOURCE)
        outcome = box.run(command(PYTHON.run, PYTHON), workspace=space, stdin=b"", limits=run_limits(LIMITS))
    assert outcome.stdout == b"hello, world\n", outcome
    return time.perf_counter() - started


def run_local(function, tasks: int, workers: int) -> dict:
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(function, range(workers)))  # warm up
        started = time.perf_counter()
        latencies = list(pool.map(function, range(tasks)))
        elapsed = time.perf_counter() - started
    return {"tasks_per_s": tasks / elapsed, "latency_ms": [1000 * x for x in latencies]}


def run_service(tasks: int, workers: int) -> dict:
    body = {"kind": "code", "params": {"language": "python", "source": SOURCE, "limits": LIMITS}}
    with gunicorn({"TASK_WORKERS": str(workers), "ACCESS_LOG": "0"}, "code-gunicorn.log") as url:
        http = requests.Session()
        wait_done(http, url, http.post(f"{url}/task", json=body, timeout=10).json()["task_id"])  # warm up

        def submit(count: int) -> list[str]:
            with requests.Session() as client:
                return [client.post(f"{url}/task", json=body, timeout=10).json()["task_id"] for _ in range(count)]

        with ThreadPoolExecutor(4) as clients:
            ids = [i for batch in clients.map(submit, [tasks // 4 + (n < tasks % 4) for n in range(4)]) for i in batch]
        statuses = [wait_done(http, url, task_id) for task_id in ids]
        verdicts = {http.get(f"{url}/result/{task_id}", timeout=10).json()["result"]["verdict"] for task_id in ids[:10]}
    assert verdicts == {"ok"}, verdicts
    tasks_per_s, latencies = server_figures(statuses)
    _, run_ms = server_figures([{**s, "created_at": s["started_at"]} for s in statuses])
    return {"tasks_per_s": tasks_per_s, "latency_ms": latencies, "run_ms": run_ms}


def layer_costs(runs: int) -> dict[str, dict[str, float]]:
    """Per prefix of the chain: p50 wall ms of one serial run and the machine's CPU ms per run (python hello world)."""
    box = sandbox()
    helpers, limits = box.helpers, run_limits(LIMITS)
    program = command(PYTHON.run, PYTHON)
    groups = cgroups.detect()

    def spawn(argv: list[str], report: bool) -> None:
        read, write = os.pipe()
        try:
            argv = [*argv, SUPERVISOR_PATH, str(write), *program] if report else [*argv, *program]
            result = subprocess.run(argv, capture_output=True, pass_fds=(write,), env=LAUNCH_ENVIRONMENT, timeout=10)
        finally:
            os.close(write)
            os.close(read)
        assert result.stdout == b"hello, world\n", result

    def bare(work: Path, supervised: bool, launched: bool, group: object = None) -> None:
        procs = ":".join(str(p) for p in group.join_files) if group else "-"
        uid = str(settings.CODE_SANDBOX_UID_BASE) if os.geteuid() == 0 else "-"  # the pool's first uid
        launch = [str(helpers.launch), uid, procs, rlimit_arg(limits), "--"] if launched else []
        spawn([*launch, *bwrap_args(box.bwrap, work, helpers.supervise if supervised else None)], supervised)

    def plain_dir(step) -> None:
        with tempfile.TemporaryDirectory() as path:
            os.chmod(path, 0o777)
            Path(path, "main.py").write_text(SOURCE)
            step(Path(path))

    def with_group(work: Path) -> None:
        if not isinstance(groups, cgroups.Cgroups):
            return bare(work, True, True)
        with groups.group(GroupLimits(limits.memory_bytes, limits.total_processes, 1.0)) as group:
            bare(work, True, True, group)

    def namespaces(work: Path) -> None:
        spawn([*UNSHARE, f"--wd={work}"], False)

    layers = {
        "direct subprocess": lambda: direct_once(0),
        "namespaces alone (unshare)": lambda: plain_dir(namespaces),
        "bwrap": lambda: plain_dir(lambda work: bare(work, False, False)),
        "+ supervise (seccomp)": lambda: plain_dir(lambda work: bare(work, True, False)),
        "+ launch (rlimits, subreaper)": lambda: plain_dir(lambda work: bare(work, True, True)),
        "+ cgroup": lambda: plain_dir(with_group),
        "+ tmpfs /work: the whole sandbox": lambda: sandbox_once(0),
    }
    figures = {}
    for name, step in layers.items():
        step()  # warm up
        times = []
        busy = machine_busy_ms()
        for _ in range(runs):
            started = time.perf_counter()
            step()
            times.append(1000 * (time.perf_counter() - started))
        figures[name] = {"p50_ms": statistics.median(times), "machine_cpu_ms": (machine_busy_ms() - busy) / runs}
    return figures


def direct_language(language: Language, source: str, _: int = 0) -> float:
    """One compile+run of `source` as the service does it, without sandbox or HTTP: seconds."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as path:
        Path(path, language.source_file).write_text(language.source_prefix + source)
        if language.executable_source:
            os.chmod(Path(path, language.source_file), 0o755)
        environment = {**os.environ, "HOME": path, **dict(language.environment)}
        environment.update({name: value.replace("/tmp/", f"{path}/") for name, value in language.environment})
        for template in (language.compile, language.run):
            if template is None:
                continue
            done = subprocess.run(
                command(template, language), cwd=path, env=environment, capture_output=True, timeout=60
            )
            assert done.returncode == 0, (language.name, done)
    assert done.stdout == b"hello, world\n", (language.name, done.stdout)
    return time.perf_counter() - started


def compare_languages(names: list[str], runs: int, workers: int) -> dict[str, dict]:
    """Per language: `runs` hello worlds through the service and directly, `workers` at a time."""
    from tests.programs import PROGRAMS

    rows = {}
    with gunicorn({"TASK_WORKERS": str(workers), "ACCESS_LOG": "0"}, "languages-gunicorn.log") as url:
        http = requests.Session()
        for name in names:
            language, source = LANGUAGES[name], PROGRAMS[name]["hello"]
            body = {"kind": "code", "params": {"language": name, "source": source, "limits": {"time_s": 5}}}
            direct = run_local(functools.partial(direct_language, language, source), runs, workers)
            wait_done(http, url, http.post(f"{url}/task", json=body, timeout=10).json()["task_id"])  # warm up
            ids = [http.post(f"{url}/task", json=body, timeout=10).json()["task_id"] for _ in range(runs)]
            statuses = [wait_done(http, url, task_id) for task_id in ids]
            verdicts = {http.get(f"{url}/result/{task_id}", timeout=10).json()["result"]["verdict"] for task_id in ids}
            assert verdicts == {"ok"}, (name, verdicts)
            tasks_per_s, _ = server_figures(statuses)
            _, run_ms = server_figures([{**s, "created_at": s["started_at"]} for s in statuses])
            rows[name] = {"direct": direct, "service": {"tasks_per_s": tasks_per_s, "latency_ms": run_ms}}
            print(row_line(name, rows[name]), flush=True)
    return rows


def row_line(name: str, row: dict) -> str:
    direct, service = row["direct"], row["service"]
    figures = [
        direct["tasks_per_s"],
        statistics.median(direct["latency_ms"]),
        percentile(direct["latency_ms"], 0.99),
        service["tasks_per_s"],
        statistics.median(service["latency_ms"]),
        percentile(service["latency_ms"], 0.99),
    ]
    ratio = service["tasks_per_s"] / direct["tasks_per_s"]
    return f"{name:12} " + " ".join(f"{figure:9.1f}" for figure in figures) + f" {ratio:7.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--layers", action="store_true", help="also time each layer of the sandbox, serially")
    parser.add_argument("--layer-runs", type=int, default=100)
    parser.add_argument("--languages", nargs="*", help="per language: the service against compile+run directly")
    parser.add_argument("--per-language", type=int, default=20)
    args = parser.parse_args()
    if args.languages is not None:
        names = args.languages or [language.name for language in available()]
        print(f"machine: {machine()}; {args.per_language} hello worlds per language, {args.workers} workers")
        print("latency: direct, one compile+run; service, the task's run inside it (started -> finished)")
        heads = ("direct/s", "p50 ms", "p99 ms", "service/s", "p50 ms", "p99 ms")
        print(f"{'language':12} " + " ".join(f"{head:>9}" for head in heads) + f" {'ratio':>8}")
        rows = compare_languages(names, args.per_language, args.workers)
        (RESULTS / "code-languages.json").write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
        return
    print(f"machine: {machine()}; {args.tasks} python hello-world tasks, {args.workers} workers")
    rows = {
        "direct subprocess": run_local(direct_once, args.tasks, args.workers),
        "sandbox alone": run_local(sandbox_once, args.tasks, args.workers),
        "service (HTTP + sandbox)": run_service(args.tasks, args.workers),
    }
    direct = rows["direct subprocess"]["tasks_per_s"]
    print(f"{'setup':26} {'tasks/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs direct':>10}")
    for name, row in rows.items():
        lat = row["latency_ms"]
        print(
            f"{name:26} {row['tasks_per_s']:8.1f} {statistics.median(lat):8.1f} {percentile(lat, 0.99):8.1f} "
            f"{row['tasks_per_s'] / direct:9.2f}x"
        )
    service = rows["service (HTTP + sandbox)"]
    print(f"service latency is submit -> ready (all {args.tasks} submitted at once, so it includes queueing);")
    print(f"  run time of one task inside the service: p50 {statistics.median(service['run_ms']):.1f} ms")
    sandbox_alone = rows["sandbox alone"]["tasks_per_s"]
    print(f"service / sandbox alone: {service['tasks_per_s'] / sandbox_alone:.2f}x (target >= 0.9x)")
    report = {"machine": machine(), "rows": rows}
    if args.layers:
        report["layers_p50_ms"] = layers = layer_costs(args.layer_runs)
        print(f"one run at a time, p50 of {args.layer_runs} wall, and the machine's CPU per run (nothing else")
        print("may run meanwhile); each layer's cost is the step from the row above (the unshare row stands apart:")
        print("the kernel's part of bwrap's namespaces, with nothing mounted but /proc):")
        previous = None
        for name, row in layers.items():
            wall, cpu = row["p50_ms"], row["machine_cpu_ms"]
            step = "" if previous is None else f"  ({wall - previous[0]:+.1f} / {cpu - previous[1]:+.1f})"
            print(f"  {name:34} {wall:7.1f} ms  {cpu:7.1f} ms CPU{step}")
            previous = (wall, cpu) if "unshare" not in name else previous
    (RESULTS / "code.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
