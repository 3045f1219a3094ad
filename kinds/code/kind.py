"""The code runner: compile (where needed) and run user code in the bubblewrap sandbox.

A program that misbehaves gets a verdict (Judge0's names) and the task is `ready`; only a fault
of the sandbox itself fails the task. If the sandbox cannot work on this host, code tasks are
refused at submit time (503), never run unsandboxed.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import json
import os
import re
import shutil
import signal
import statistics
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from rest_framework import serializers
from rest_framework.fields import empty

from core.env import env_float
from core.limits import Limit
from httpapi.serializers import StrictCharField, StrictFloatField, StrictIntegerField, StrictSerializer
from kinds.code.languages import LANGUAGES, Language, available, command, read_versions, version
from sandbox.host import host_sandbox
from sandbox.runner import Limits, Outcome, Sandbox, SandboxUnavailable
from sandbox.workspace import Workspace
from tasks import metrics
from tasks.errors import InvalidParams, KindUnavailable
from tasks.kinds.base import (
    Catalog,
    Ceilings,
    Context,
    FlatShape,
    ParamsSerializer,
    TaskCancelled,
    TaskKind,
    unknown_keys,
)

MIB = 1024 * 1024
# Seed-style bodies name the toolchain under any of these keys ("tranlator": real clients send it).
COMPILER_KEYS = ("compiler", "translator", "tranlator", "interpreter", "language", "lang")
LANGUAGE_ALIASES = {
    "python3": "python",
    "py": "python",
    "gcc": "c",
    "g++": "cpp",
    "c++": "cpp",
    "sh": "bash",
    "clang": "c-clang",
    "clang++": "cpp-clang",
    "js": "javascript",
    "node": "javascript",
    "nodejs": "javascript",
    "ts": "typescript",
    "golang": "go",
    "rs": "rust",
    "rb": "ruby",
    "c#": "csharp",
    "cs": "csharp",
    "mono": "csharp",
    "lisp": "commonlisp",
    "sbcl": "commonlisp",
    "sql": "sqlite",
    "sqlite3": "sqlite",
    "text": "plaintext",
    "asm": "assembly",
    "nasm": "assembly",
    "gfortran": "fortran",
    "fpc": "pascal",
    "cobc": "cobol",
    "gdc": "d",
    "lua5.4": "lua",
}
MEMORY_MARKERS = (
    "MemoryError",
    "std::bad_alloc",
    "Cannot allocate memory",
    "out of memory",  # C's perror, Go's runtime, V8's "JavaScript heap out of memory"
    "OutOfMemoryError",  # the JVM
    "Heap exhausted",  # SBCL
    "OutOfMemoryException",  # Mono
)


class CodeLimits(StrictSerializer):
    time_s = StrictFloatField(default=2.0, min_value=0.1, help_text="CPU seconds (at most CODE_MAX_TIME_S).")
    memory_mb = StrictIntegerField(default=256, min_value=16, help_text="Address space (at most CODE_MAX_MEMORY_MB).")
    output_kb = StrictIntegerField(default=1024, min_value=1, help_text="Per stream (at most CODE_MAX_OUTPUT_KB).")
    wall_s = StrictFloatField(
        required=False,
        min_value=0.1,
        help_text="Wall-clock seconds per run (at most 2 x CODE_MAX_TIME_S + 1); left out: 2 x time_s + 1.",
    )
    processes = StrictIntegerField(
        required=False,
        min_value=1,
        help_text="Processes and threads of the run together (at most CODE_MAX_PROCESSES); left out: the "
        "language's own cap (16, or 64 for runtimes that start threads: the JVM, Go, BEAM, .NET, V8...).",
    )

    def get_fields(self) -> dict:
        # Maxima follow the settings (and appear in the schema): above them is a 400, not a clamp.
        fields = super().get_fields()
        maxima = {
            "time_s": settings.CODE_MAX_TIME_S,
            "memory_mb": settings.CODE_MAX_MEMORY_MB,
            "output_kb": settings.CODE_MAX_OUTPUT_KB,
            "processes": settings.CODE_MAX_PROCESSES,
            "wall_s": wall_seconds(settings.CODE_MAX_TIME_S),
        }
        for name, maximum in maxima.items():
            field = fields[name]
            fields[name] = type(field)(
                **({"required": False} if field.default is empty else {"default": field.default}),
                min_value=field.min_value,
                max_value=maximum,
                help_text=field.help_text,
            )
        return fields


class TestCase(StrictSerializer):
    """One test case: the program runs on `stdin` and must print `expected_output`."""

    name = StrictCharField(required=False, max_length=100)
    stdin = StrictCharField(default="", allow_blank=True)
    expected_output = StrictCharField(allow_blank=True, help_text="Compared with trailing whitespace ignored.")

    def validate_stdin(self, stdin: str) -> str:
        if len(stdin.encode()) > settings.CODE_MAX_STDIN_BYTES:
            raise serializers.ValidationError(f"stdin is over {settings.CODE_MAX_STDIN_BYTES:,} bytes.")
        return stdin


MAX_FILES = 64
MAX_FILES_BYTES = 4 * MIB  # all of a task's files together, decoded (Judge0's extract limit is 10 MB)
# A relative path of at most 8 plain parts: no "..", no "." part, nothing absolute, no odd bytes.
FILE_PATH = re.compile(r"(?!.*(?:^|/)\.{1,2}(?:/|$))[A-Za-z0-9._-]{1,100}(?:/[A-Za-z0-9._-]{1,100}){0,7}")


class ExtraFile(StrictSerializer):
    """A file written into /work beside the source before the compile (a header, a data file, a
    multi-file program's modules)."""

    name = StrictCharField(max_length=200, help_text="A relative path: letters, digits, `._-`, `/` between parts.")
    content = StrictCharField(allow_blank=True, help_text="The file's text, or its bytes as base64.")
    encoding = serializers.ChoiceField(choices=["utf-8", "base64"], default="utf-8")

    def validate_name(self, name: str) -> str:
        if not FILE_PATH.fullmatch(name):
            raise serializers.ValidationError("Not a plain relative path (letters, digits, `._-`, `/` between parts).")
        return name

    def validate(self, attrs: dict) -> dict:
        if attrs["encoding"] == "base64":
            try:
                base64.b64decode(attrs["content"], validate=True)
            except ValueError:
                raise serializers.ValidationError({"content": ["Not valid base64."]}) from None
        return attrs


def _check_source(source: str, encoding: str) -> None:
    """Text up to CODE_MAX_SOURCE_BYTES, or base64 of up to MAX_FILES_BYTES (a binary)."""
    if encoding == "base64":
        try:
            size = len(base64.b64decode(source, validate=True))
        except ValueError:
            raise serializers.ValidationError({"source": ["Not valid base64."]}) from None
        if size > MAX_FILES_BYTES:
            raise serializers.ValidationError({"source": [f"The source is over {MAX_FILES_BYTES:,} bytes."]})
    elif len(source.encode()) > settings.CODE_MAX_SOURCE_BYTES:
        raise serializers.ValidationError({"source": [f"The source is over {settings.CODE_MAX_SOURCE_BYTES:,} bytes."]})


def source_bytes(params: Mapping[str, Any]) -> bytes:
    if params.get("source_encoding") == "base64":
        return base64.b64decode(params["source"])
    return params["source"].encode()


def file_bytes(extra: Mapping[str, Any]) -> bytes:
    if extra.get("encoding") == "base64":
        return base64.b64decode(extra["content"])
    return extra["content"].encode()


class CodeParams(ParamsSerializer):
    """Parameters of the `code` kind (see GET /languages for what this host can run)."""

    language = StrictCharField(help_text="A name from GET /languages (python, c, cpp, java, javascript, go, ...).")
    source = StrictCharField(
        help_text="The program (at most CODE_MAX_SOURCE_BYTES as UTF-8; as base64, at most 4 MiB of bytes)."
    )
    source_encoding = serializers.ChoiceField(
        choices=["utf-8", "base64"],
        default="utf-8",
        help_text="`base64`: the source is bytes (a binary, for language `executable`).",
    )
    stdin = StrictCharField(default="", allow_blank=True, help_text="Fed to the program's standard input.")
    args = serializers.ListField(child=StrictCharField(max_length=256), default=list, max_length=32)
    expected_output = StrictCharField(
        default=None,
        allow_null=True,
        allow_blank=True,
        help_text="If given, the verdict is accepted or wrong_answer (trailing whitespace ignored).",
    )
    limits = CodeLimits(required=False)
    compile_options = serializers.ListField(
        child=StrictCharField(max_length=256),
        required=False,
        max_length=32,
        help_text="Arguments for the compiler, put before the source file (compiled languages that take them).",
    )
    merge_stderr = serializers.BooleanField(
        default=False, help_text="The program's stderr goes into its stdout, interleaved as written."
    )
    files = serializers.ListField(
        child=ExtraFile(),
        required=False,
        max_length=MAX_FILES,
        help_text=f"Files written into /work beside the source (at most {MAX_FILES}, {MAX_FILES_BYTES // MIB} MiB "
        "in all). With language `multifile`, the source is the `run` script and a `compile` file, if any, runs first.",
    )
    tests = serializers.ListField(
        child=TestCase(),
        required=False,
        min_length=1,
        help_text="Test cases (at most CODE_MAX_TESTS): compiled once, each run in a fresh sandbox; the verdict "
        "is the first failing case's, and `tests` in the result has every case's.",
    )
    runs = StrictIntegerField(
        default=1,
        min_value=1,
        help_text="Run the program this many times (at most CODE_MAX_RUNS), each in a fresh sandbox, and report "
        "the mean CPU time, wall time and memory (Judge0's number_of_runs). The output and verdict are the last "
        "run's, or the first one that did not finish well. Not with `tests`.",
    )

    def get_fields(self) -> dict:
        # The maximum follows the setting, and the schema states it (maxItems).
        fields = super().get_fields()
        tests = fields["tests"]
        fields["tests"] = serializers.ListField(
            child=TestCase(),
            required=False,
            min_length=1,
            max_length=settings.CODE_MAX_TESTS,
            help_text=tests.help_text,
            error_messages={"max_length": "At most {max_length} test cases."},
        )
        runs = fields["runs"]
        fields["runs"] = StrictIntegerField(
            default=1, min_value=1, max_value=settings.CODE_MAX_RUNS, help_text=runs.help_text
        )
        return fields

    def validate_language(self, name: str) -> str:
        name = LANGUAGE_ALIASES.get(name.lower(), name.lower())
        language = LANGUAGES.get(name)
        if language is None or language not in offered_languages():
            offered = ", ".join(language.name for language in offered_languages())
            raise serializers.ValidationError(f"{name!r} is not a language this host runs; it runs: {offered}.")
        return name

    def validate_stdin(self, stdin: str) -> str:
        if len(stdin.encode()) > settings.CODE_MAX_STDIN_BYTES:
            raise serializers.ValidationError(f"stdin is over {settings.CODE_MAX_STDIN_BYTES:,} bytes.")
        return stdin

    def validate(self, attrs: dict) -> dict:
        try:
            sandbox_ready()
        except SandboxUnavailable as exc:
            raise KindUnavailable("code", str(exc)) from None
        if attrs.get("tests") and (attrs.get("stdin") or attrs.get("expected_output") is not None):
            raise serializers.ValidationError(
                {"tests": ["Put stdin and expected_output in each test, not beside tests."]}
            )
        if attrs.get("tests") and attrs.get("runs", 1) > 1:
            raise serializers.ValidationError({"runs": ["Runs repeat one program's run: not with tests."]})
        _check_source(attrs["source"], attrs["source_encoding"])
        if attrs.get("compile_options") and not LANGUAGES[attrs["language"]].takes_options:
            raise serializers.ValidationError({"compile_options": [f"{attrs['language']} takes no compile options."]})
        files = attrs.get("files") or []
        names = [extra["name"] for extra in files]
        if len(set(names)) != len(names) or LANGUAGES[attrs["language"]].source_file in names:
            raise serializers.ValidationError({"files": ["Each file needs a name of its own, not the source's."]})
        if sum(len(file_bytes(extra)) for extra in files) > MAX_FILES_BYTES:
            raise serializers.ValidationError({"files": [f"The files are over {MAX_FILES_BYTES:,} bytes in all."]})
        limits = CodeLimits().run_validation(attrs.get("limits", {}))
        return {**attrs, "limits": dict(limits)}


@functools.cache
def sandbox_ready() -> None:
    """Checked once per process, at its start (`prepare`): one trivial sandboxed run."""
    sandbox().check()


def prepare() -> None:
    read_versions()
    with contextlib.suppress(SandboxUnavailable):  # submissions are refused with the reason (503)
        sandbox_ready()


@functools.cache
def sandbox() -> Sandbox:
    return host_sandbox(
        disk_bytes=settings.CODE_MAX_DISK_MB * MIB,
        uid_base=settings.CODE_SANDBOX_UID_BASE,
        uids=settings.CODE_SANDBOX_UIDS,
        lock_dir=Path(settings.CODE_SANDBOX_LOCK_DIR),
        toolchains=tuple(language.binary for language in available()),
        on_fault=metrics.SANDBOX_FAULTS.inc,
    )


def offered_languages() -> list[Language]:
    """The installed languages, less those whose runtime needs a cgroup's memory bound (no
    RLIMIT_AS) where runs get none (a service that is not root): never run with memory unbounded."""
    try:
        sandbox_ready()
        bounded = sandbox().bounds_tree_memory
    except SandboxUnavailable:  # nothing runs here at all (submissions get 503): list what is installed
        bounded = True
    return [language for language in available() if language.address_space or bounded]


def isolation() -> str:
    """How runs are isolated on this host (cgroup v1/v2 or rlimits only), for /languages and /readyz."""
    try:
        sandbox_ready()
        return sandbox().isolation
    except SandboxUnavailable as exc:
        return f"unavailable: {exc}"


def wall_seconds(cpu_seconds: float) -> float:
    """A run's wall-clock limit for its CPU limit: room to wait on I/O, still bounded."""
    return cpu_seconds * 2 + 1


def run_limits(limits: Mapping[str, Any], language: Language | None = None) -> Limits:
    return Limits(
        cpu_seconds=limits["time_s"],
        wall_seconds=limits.get("wall_s") or wall_seconds(limits["time_s"]),
        memory_bytes=limits["memory_mb"] * MIB,
        output_bytes=limits["output_kb"] * 1024,
        processes=run_processes(limits, language),
        file_bytes=settings.CODE_MAX_FILE_KB * 1024,
        address_space=language.address_space if language else True,
        open_files=language.open_files if language else 64,
    )


def run_processes(limits: Mapping[str, Any], language: Language | None) -> int:
    """The run's process and thread cap: the caller's, else the language's, within the service's."""
    asked = limits.get("processes") or (language.processes if language else settings.CODE_MAX_PROCESSES)
    return min(asked, settings.CODE_MAX_PROCESSES)


def compile_limits(language: Language | None = None) -> Limits:
    return Limits(
        cpu_seconds=settings.CODE_COMPILE_TIME_S,
        wall_seconds=settings.CODE_COMPILE_TIME_S * 2,
        memory_bytes=settings.CODE_COMPILE_MEMORY_MB * MIB,
        output_bytes=64 * 1024,
        processes=settings.CODE_MAX_PROCESSES,
        file_bytes=settings.CODE_MAX_FILE_KB * 1024,
        address_space=language.address_space if language else True,
        open_files=language.open_files if language else 64,
    )


def judge(outcome: Outcome, limits: Limits, expected: str | None, *, merged: bool = False) -> str:
    """Judge0's verdicts, in its order of precedence (a runtime's out-of-memory words are looked
    for in stderr, or in stdout when stderr was merged into it)."""
    cpu = outcome.cpu_seconds or 0.0
    if outcome.wall_timeout or outcome.signal == signal.SIGXCPU or cpu > limits.cpu_seconds:
        return "time_limit_exceeded"
    if outcome.truncated:
        return "output_limit_exceeded"
    failed = outcome.exit_code != 0
    if failed and (
        outcome.oom_killed
        or (outcome.memory_kb or 0) * 1024 >= 0.9 * limits.memory_bytes
        or any(marker.encode() in (outcome.stdout[-4096:] if merged else outcome.stderr) for marker in MEMORY_MARKERS)
    ):
        return "memory_limit_exceeded"
    if failed and outcome.disk_full:
        return "disk_limit_exceeded"
    if failed:
        return "runtime_error"
    if expected is not None:
        return "accepted" if outcome.stdout.decode(errors="replace").rstrip() == expected.rstrip() else "wrong_answer"
    return "ok"


def stored_text(data: bytes) -> tuple[str, str]:
    """(value, encoding) of a program's output as the result stores it: UTF-8 text, unless that
    is invalid or would grow in JSON (a control character is 6 bytes there) past base64's 4/3."""
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), "base64"
    if len(json.dumps(text, ensure_ascii=False).encode()) - 2 > (len(data) + 2) // 3 * 4:
        return base64.b64encode(data).decode(), "base64"
    return text, "utf-8"


def stored_text_bound(size: int) -> int:
    """The most bytes `stored_text` makes of `size` bytes of output, quoted in JSON."""
    return (size + 2) // 3 * 4 + 2


RUN_REPORT_BYTES = 1024  # a run's fields but its output, and a test case's name and verdict


def result_bound(params: Mapping[str, Any]) -> int:
    """Every run's two streams at their limit (and the compile's), as stored: reserved at submit,
    so 20 test cases printing megabytes cannot outgrow the caller's share after it was checked."""
    runs = len(params.get("tests") or []) or 1
    per_run = 2 * stored_text_bound(params["limits"]["output_kb"] * 1024) + RUN_REPORT_BYTES
    compiled = 2 * stored_text_bound(compile_limits().output_bytes) + RUN_REPORT_BYTES
    return runs * per_run + (compiled if LANGUAGES[params["language"]].compile else 0) + RUN_REPORT_BYTES


def _report(outcome: Outcome, *, compile_step: bool = False) -> dict[str, Any]:
    stdout, stdout_encoding = stored_text(outcome.stdout)
    stderr, stderr_encoding = stored_text(outcome.stderr)
    report: dict[str, Any] = {
        "exit_code": outcome.exit_code,
        "stdout": stdout,
        "stdout_encoding": stdout_encoding,
        "stderr": stderr,
        "stderr_encoding": stderr_encoding,
        "time_s": None if outcome.cpu_seconds is None else round(outcome.cpu_seconds, 3),
    }
    if not compile_step:
        report |= {
            "signal": outcome.signal,
            "wall_s": round(outcome.wall_seconds, 3),
            "memory_kb": outcome.memory_kb,
            "disk_kb": outcome.disk_kb,
            "truncated": outcome.truncated,
        }
    return report


class TaskBudget:
    """The task's whole wall-clock budget (`task_s`): each sandboxed run gets at most what is left
    of it, so compile plus 20 runs cannot hold a worker for minutes."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def cap(self, limits: Limits) -> Limits:
        left = max(self.left(), 0.0)
        return dataclasses.replace(
            limits, wall_seconds=min(limits.wall_seconds, left), cpu_seconds=min(limits.cpu_seconds, left)
        )


@dataclasses.dataclass(frozen=True)
class Program:
    """How the built program runs, the same for the run and for each test case."""

    box: Sandbox
    argv: list[str]
    limits: Limits
    budget: TaskBudget
    language: Language  # its environment and read-only paths
    merged: bool  # stderr merged into stdout

    def run(self, space: Workspace, stdin: str) -> Outcome:
        return self.box.run(
            self.argv,
            workspace=space,
            stdin=stdin.encode(),
            limits=self.budget.cap(self.limits),
            environment=dict(self.language.environment),
            read_only=self.language.read_only,
            merge_stderr=self.merged,
        )

    def judge(self, outcome: Outcome, expected: str | None) -> str:
        return judge(outcome, self.limits, expected, merged=self.merged)


def run(context: Context, params: Mapping[str, Any]) -> dict[str, Any]:
    language: Language = LANGUAGES[params["language"]]
    memory_mb = params["limits"]["memory_mb"]
    budget = TaskBudget(params.get("task_s") or TASK_LIMIT.maximum())
    box = sandbox()
    tests = params.get("tests") or []
    steps = (language.compile is not None) + (len(tests) or 1)  # progress: the compile, then each run
    with box.workdir() as space:
        _write_file(space, language.source_file, language.source_prefix.encode() + source_bytes(params))
        if language.executable_source:
            os.chmod(space.work / language.source_file, 0o755)
        for extra in params.get("files") or []:
            _write_file(space, extra["name"], file_bytes(extra))
        compiled = None
        if language.compile is not None:
            outcome = box.run(
                command(language.compile, language, memory_mb, params.get("compile_options") or ()),
                workspace=space,
                stdin=b"",
                limits=budget.cap(compile_limits(language)),
                environment=dict(language.environment),
                read_only=language.read_only,
            )
            compiled = _report(outcome, compile_step=True)
            if outcome.exit_code != 0:
                return {"verdict": "compile_error", "language": language.name, "compile": compiled, "run": None}
            context.report_progress(1 / steps)
        program = Program(
            box,
            command(language.run, language, memory_mb) + list(params["args"]),
            run_limits(params["limits"], language),
            budget,
            language,
            params.get("merge_stderr", False),
        )
        if tests:
            cases = _run_tests(context, program, space, tests, done=steps - len(tests), steps=steps)
            failed = next((case["verdict"] for case in cases if case["verdict"] != "accepted"), "accepted")
            return {"verdict": failed, "language": language.name, "compile": compiled, "run": None, "tests": cases}
        if context.cancelled():
            raise TaskCancelled
        runs = params.get("runs", 1)
        if runs == 1:
            outcome = program.run(space, params["stdin"])
            report = _report(outcome)
        else:
            outcome, report = _repeated(context, program, space, params["stdin"], runs)
    verdict = program.judge(outcome, params["expected_output"])
    return {"verdict": verdict, "language": language.name, "compile": compiled, "run": report}


def _repeated(
    context: Context, program: Program, built: Workspace, stdin: str, runs: int
) -> tuple[Outcome, dict[str, Any]]:
    """The program run `runs` times, each in a fresh copy of what was built (a run's files never
    reach the next), stopping at the first that does not finish well: that one's outcome (or the
    last's), reported with the mean CPU time, wall time and memory of the runs made."""
    outcomes: list[Outcome] = []
    for _ in range(runs):
        if outcomes and (program.judge(outcomes[-1], None) != "ok" or program.budget.left() <= 0):
            break
        if context.cancelled():
            raise TaskCancelled
        with program.box.workdir() as space:
            _copy_build(built, space)
            outcomes.append(program.run(space, stdin))
    last = outcomes[-1]
    report = _report(last)
    cpu = [outcome.cpu_seconds for outcome in outcomes if outcome.cpu_seconds is not None]
    memory = [outcome.memory_kb for outcome in outcomes if outcome.memory_kb is not None]
    report |= {
        "runs": len(outcomes),
        "time_s": round(statistics.fmean(cpu), 3) if cpu else None,
        "wall_s": round(statistics.fmean(outcome.wall_seconds for outcome in outcomes), 3),
        "memory_kb": round(statistics.fmean(memory)) if memory else None,
    }
    return last, report


def _run_tests(
    context: Context, program: Program, built: Workspace, tests: list[Mapping[str, Any]], *, done: int, steps: int
) -> list[dict[str, Any]]:
    """Each case in a fresh workspace (its own uid and /work) holding a copy of what was built, so
    nothing one case leaves behind reaches the next; progress after each, cancel between them."""
    cases = []
    for index, test in enumerate(tests):
        if context.cancelled():
            raise TaskCancelled
        name = test.get("name") or f"test {index + 1}"
        if program.budget.left() <= 0:  # the task's budget is spent: the cases left are not run
            cases.append({"name": name, "verdict": "time_limit_exceeded", "skipped": "the task's time budget is spent"})
            continue
        with program.box.workdir() as space:
            _copy_build(built, space)
            outcome = program.run(space, test["stdin"])
        cases.append({"name": name, "verdict": program.judge(outcome, test["expected_output"]), **_report(outcome)})
        context.report_progress((done + index + 1) / steps)
    return cases


def _write_file(space: Workspace, name: str, data: bytes) -> None:
    """One of the task's files into the fresh /work (nothing has run there yet), its directories
    made and owned by the run's uid."""
    path = space.work / name
    for directory in reversed(path.relative_to(space.work).parents[:-1]):
        target = space.work / directory
        if not target.is_dir():
            target.mkdir(mode=0o755)
            if space.uid is not None:
                os.chown(target, space.uid, space.uid)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644), "wb") as file:
        file.write(data)


def _copy_build(built: Workspace, space: Workspace, relative: Path = Path()) -> None:
    """The regular files and directories of the built workspace's /work (the source, the task's
    files, a compiled binary), owned by the new run's uid; links stay behind."""
    for entry in os.scandir(built.work / relative):
        name = relative / entry.name
        if entry.is_dir(follow_symlinks=False):
            (space.work / name).mkdir(mode=0o755)
            if space.uid is not None:
                os.chown(space.work / name, space.uid, space.uid)
            _copy_build(built, space, name)
            continue
        if not entry.is_file(follow_symlinks=False):
            continue
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with (
            open(os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as source,
            open(os.open(space.work / name, flags, 0o700), "wb") as target,
        ):
            shutil.copyfileobj(source, target)
            os.fchmod(target.fileno(), os.fstat(source.fileno()).st_mode & 0o755)
            if space.uid is not None:
                os.fchown(target.fileno(), space.uid, space.uid)


TASK_LIMIT = Limit(
    "max_task_s",
    "Seconds per task, the compile and every run together (wall clock).",
    "CODE_MAX_TASK_S",
    "QUOTA_ANON_CODE_TASK_S",
    integer=False,
    minimum=1,
    maximum_default=env_float("CODE_MAX_TASK_S", 60.0, minimum=1.0),
    anonymous_default=env_float("QUOTA_ANON_CODE_TASK_S", 30.0, minimum=1.0),
)
LIMITS = (
    Limit(
        "max_time_s", "CPU seconds per run.", "CODE_MAX_TIME_S", "QUOTA_ANON_CODE_TIME_S", integer=False, minimum=0.1
    ),
    Limit("max_memory_mb", "Memory per run, in MB.", "CODE_MAX_MEMORY_MB", "QUOTA_ANON_CODE_MEMORY_MB", minimum=16),
    TASK_LIMIT,
)


def restrict(params: dict[str, Any], asked: Mapping[str, Any], ceilings: Ceilings) -> dict[str, Any]:
    """Keep the run's time and memory within the caller's ceilings."""
    asked_limits = asked.get("limits") or {}
    limits = dict(params["limits"])
    errors: dict[str, list[str]] = {}
    for name, ceiling, unit in (
        ("time_s", ceilings["max_time_s"], "s"),
        ("memory_mb", ceilings["max_memory_mb"], "MB"),
    ):
        if limits[name] <= ceiling:
            continue
        if name in asked_limits:
            errors[name] = [f"At most {ceiling:g} {unit} for your quota."]
        limits[name] = ceiling
    if errors:
        raise InvalidParams({"limits": errors})
    budget = ceilings["max_task_s"]
    runs = len(params.get("tests") or []) or params.get("runs", 1)
    if runs * limits["time_s"] > budget:  # it could never finish within the task's budget
        field = "tests" if params.get("tests") else "runs" if runs > 1 else "limits"
        message = (
            f"{runs} runs of up to {limits['time_s']:g} s of CPU each need more than the {budget:g} s your "
            "quota gives one task: fewer tests or runs, or a lower time_s."
        )
        raise InvalidParams({field: [message]})
    return {**params, "limits": limits, "task_s": budget}


class FlatCodeSubmission(serializers.Serializer):
    """The seed's "user code + compiler name", without `kind`: `code`, one of compiler, translator,
    tranlator, interpreter, language or lang (python3/python/py, gcc/c, g++/cpp/c++, bash/sh, any
    case), and optionally `stdin`."""

    code = serializers.CharField(help_text="The program.")
    compiler = serializers.CharField(required=False, help_text="Or translator, tranlator, interpreter, language, lang.")
    translator = serializers.CharField(required=False)
    tranlator = serializers.CharField(required=False)
    interpreter = serializers.CharField(required=False)
    language = serializers.CharField(required=False)
    lang = serializers.CharField(required=False)
    stdin = serializers.CharField(required=False, allow_blank=True)


def from_flat(body: Mapping[str, Any]) -> dict[str, Any]:
    """`{"code", "<compiler key>", "stdin"?}` -> the code kind's params."""
    allowed = {"code", "stdin", *COMPILER_KEYS}
    errors = unknown_keys(body, allowed, "code")
    named = [key for key in COMPILER_KEYS if key in body]
    if len(named) != 1:
        for key in named or ["compiler"]:
            errors[key] = [f"Name the language once, under one of: {', '.join(COMPILER_KEYS)}."]
    if errors:
        raise serializers.ValidationError(errors)
    return {"language": body[named[0]], "source": body["code"], **({"stdin": body["stdin"]} if "stdin" in body else {})}


class LanguageSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    source_file = serializers.CharField()
    compile_command = serializers.CharField(allow_null=True)
    run_command = serializers.CharField()
    isolation = serializers.CharField(
        help_text="How runs are isolated here: `cgroup v1 (...)`/`cgroup v2 (...)` (memory, processes and CPU for "
        "the whole process tree) or `rlimits only: <why>` (limits per process)."
    )


def languages() -> list[dict[str, Any]]:
    return [
        {
            "name": language.name,
            "version": version(language),
            "source_file": language.source_file,
            "compile_command": " ".join(command(language.compile, language)) if language.compile else None,
            "run_command": " ".join(command(language.run, language)),
            "isolation": isolation(),
        }
        for language in offered_languages()
    ]


KIND = TaskKind(
    name="code",
    summary="Code runner: compile and run a program in a sandbox; the result is a verdict with its output.",
    params_serializer=CodeParams,
    handler=run,
    restrict=restrict,
    result_bound=result_bound,
    prepare=prepare,
    readiness={"sandbox": isolation},
    flat=FlatShape(markers=frozenset({"code"}), to_params=from_flat, schema=FlatCodeSubmission),
    catalog=Catalog("languages", "Languages the code runner can run on this host", LanguageSerializer, languages),
    limits=LIMITS,
)
