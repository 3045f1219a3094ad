"""A Judge0 submission is a `code` task: its request becomes the code kind's params, and the task
(with its result) is shown back as Judge0 shows a submission, field for field."""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import re
import shlex
import signal
import stat
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from judge0api import catalog
from kinds.code.kind import FILE_PATH, MAX_FILES, MAX_FILES_BYTES, run_processes, source_bytes, wall_seconds
from kinds.code.languages import LANGUAGES
from tasks.domain import Task, TaskStatus

# Fields a submission shows when none are asked for, and every one it has (`fields=*`).
DEFAULT_FIELDS = ("token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status")
ALL_FIELDS = (
    "source_code",
    "language_id",
    "stdin",
    "expected_output",
    "stdout",
    "status_id",
    "created_at",
    "finished_at",
    "time",
    "memory",
    "stderr",
    "token",
    "number_of_runs",
    "cpu_time_limit",
    "cpu_extra_time",
    "wall_time_limit",
    "memory_limit",
    "stack_limit",
    "max_processes_and_or_threads",
    "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit",
    "max_file_size",
    "compile_output",
    "exit_code",
    "exit_signal",
    "message",
    "wall_time",
    "compiler_options",
    "command_line_arguments",
    "redirect_stderr_to_stdout",
    "callback_url",
    "additional_files",
    "enable_network",
    "status",
    "language",
)
ENCODED_REQUEST_FIELDS = ("source_code", "stdin", "expected_output")
ENCODED_RESPONSE_FIELDS = ("source_code", "stdin", "expected_output", "stdout", "stderr", "compile_output", "message")
ARGUMENT_CHARACTERS_DROPPED = re.compile(r"[$&;<>|`]")  # as Judge0 drops them before its shell sees them
MAX_OPTION_CHARACTERS = 512
# Judge0's runtime-error statuses by the signal that ended the program.
SIGNAL_STATUSES = {signal.SIGSEGV: 7, signal.SIGXFSZ: 8, signal.SIGFPE: 9, signal.SIGABRT: 10}
VERDICT_STATUSES = {
    "time_limit_exceeded": 5,
    "compile_error": 6,
    "output_limit_exceeded": 8,
    "disk_limit_exceeded": 8,
    "memory_limit_exceeded": 12,
}


class Invalid(Exception):
    """Judge0's 422: `errors` maps a field to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = dict(errors)


class NotUtf8(Exception):
    """Output that is not UTF-8, asked for without base64: Judge0 answers 400."""


class BadQuery(Exception):
    """A query parameter Judge0 would refuse (400 `{"error": ...}`)."""


def requested_fields(query: Mapping[str, str]) -> tuple[str, ...]:
    """The fields to show, as Judge0 reads `fields`; BadQuery names the unknown ones."""
    asked = [field for field in query.get("fields", "").split(",") if field]
    unknown = [field for field in asked if field != "*" and field not in ALL_FIELDS]
    if unknown:
        raise BadQuery(f"invalid fields: [{', '.join(unknown)}]")
    if "*" in asked:
        return ALL_FIELDS
    return tuple(asked) or DEFAULT_FIELDS


def flag(query: Mapping[str, str], name: str) -> bool:
    """A Judge0 query flag: "true" or "false" (absent: false); anything else is refused rather
    than read as false, so a typo does not silently change what comes back."""
    value = query.get(name, "false")
    if value not in ("true", "false"):
        raise BadQuery(f"{name} must be true or false, not {value[:20]!r}")
    return value == "true"


def to_params(body: Any, *, base64_encoded: bool) -> dict[str, Any]:
    """The code kind's params for a Judge0 submission body; Invalid with Judge0's messages. Fields
    Judge0 does not know are ignored, as it ignores them."""
    if not isinstance(body, Mapping):
        raise Invalid({"base": ["the body must be a JSON object"]})
    errors: dict[str, list[str]] = {}
    language = _language(body.get("language_id"), errors)
    binary = language == EXECUTABLE and base64_encoded  # its source is the program's bytes, kept as base64
    texts = {name: _text(body, name, base64_encoded and not binary, errors) for name in ENCODED_REQUEST_FIELDS}
    if binary and texts["source_code"]:
        try:
            base64.b64decode(texts["source_code"], validate=True)
        except (binascii.Error, ValueError):
            errors["source_code"] = ["is not valid base64"]
    files = _files(body.get("additional_files"), errors)
    if language == MULTI_FILE:  # its source is the zip's `run` script
        if texts["source_code"]:
            errors["source_code"] = ["must be blank"]
        run = next((extra for extra in files if extra["name"] == "run"), None)
        if run is None:
            errors.setdefault("additional_files", ["a multi-file program needs a `run` script in the zip"])
        else:
            files.remove(run)
            texts["source_code"] = base64.b64decode(run["content"]).decode(errors="replace")
    elif not texts["source_code"]:
        errors.setdefault("source_code", ["can't be blank"])
    limits = _limits(body, errors)
    runs = _number(body, "number_of_runs", errors, 1, catalog.maxima()["max_number_of_runs"])
    if not isinstance(body.get("callback_url") or "", str):  # where it may be called: the task services' check
        errors["callback_url"] = ["must be a string"]
    args = _arguments(body.get("command_line_arguments"), errors)
    compile_options = _arguments(body.get("compiler_options"), errors, "compiler_options")
    if compile_options and language is not None and not LANGUAGES[language].takes_options:
        compiled = LANGUAGES[language].compile is not None
        errors["compiler_options"] = [
            f"setting compiler options is not supported for {LANGUAGES[language].judge0_name.split(' (')[0]}"
            if compiled
            else "setting compiler options is only allowed for compiled languages"
        ]
    _refuse_what_is_off(body, errors)
    if errors:
        raise Invalid(errors)
    params: dict[str, Any] = {"language": language, "source": texts["source_code"], "args": args}
    if binary:
        params["source_encoding"] = "base64"
    if compile_options:
        params["compile_options"] = compile_options
    if body.get("redirect_stderr_to_stdout") in TRUE:
        params["merge_stderr"] = True
    if files:
        params["files"] = files
    if texts["stdin"]:
        params["stdin"] = texts["stdin"]
    if texts["expected_output"] is not None:
        params["expected_output"] = texts["expected_output"]
    if limits:
        params["limits"] = limits
    if runs is not None and runs > 1:
        params["runs"] = int(runs)
    return params


def _text(body: Mapping[str, Any], name: str, base64_encoded: bool, errors: dict[str, list[str]]) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = ["must be a string"]
        return None
    if not base64_encoded:
        return value
    try:
        return base64.b64decode(value.replace("\n", "").replace("\r", ""), validate=True).decode()
    except (binascii.Error, ValueError):
        errors[name] = ["is not valid base64-encoded UTF-8"]
        return None


MULTI_FILE, EXECUTABLE = "multifile", "executable"


def _files(raw: Any, errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """`additional_files`, a base64 zip, as the code kind's files: plain files with plain relative
    paths only, within the kind's count and size (read no further than the sizes allow)."""
    if raw in (None, ""):
        return []
    try:
        archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(str(raw), validate=True)))
        entries = [info for info in archive.infolist() if not info.is_dir()]
    except (binascii.Error, ValueError, zipfile.BadZipFile):
        errors["additional_files"] = ["is not a base64-encoded zip"]
        return []
    problem = None
    if len(entries) > MAX_FILES:
        problem = f"holds more than {MAX_FILES} files"
    elif sum(info.file_size for info in entries) > MAX_FILES_BYTES:
        problem = f"unpacks to more than {MAX_FILES_BYTES:,} bytes"
    elif any(stat.S_ISLNK(info.external_attr >> 16) for info in entries):
        problem = "holds a symbolic link"
    elif bad := next((info.filename for info in entries if not FILE_PATH.fullmatch(info.filename)), None):
        problem = f"holds {bad[:100]!r}, not a plain relative path"
    if problem is None:
        try:
            return [
                {"name": info.filename, "content": base64.b64encode(archive.read(info)).decode(), "encoding": "base64"}
                for info in entries
            ]
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            problem = f"cannot be unpacked: {exc}"
    errors["additional_files"] = [problem]
    return []


def _language(raw: Any, errors: dict[str, list[str]]) -> str | None:
    if raw is None or raw == "":
        errors["language_id"] = ["can't be blank"]
        return None
    try:
        judge0_id = int(raw)
    except (TypeError, ValueError):
        judge0_id = None
    language = catalog.by_id().get(judge0_id) if judge0_id is not None else None
    if language is None:
        errors["language_id"] = [f"language with id {raw} doesn't exist"]
        return None
    return language.name


def _number(body: Mapping[str, Any], name: str, errors: dict[str, list[str]], low: float, high: float) -> float | None:
    raw = body.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(raw, bool) or not math.isfinite(value):
        errors[name] = ["is not a number"]
    elif value < low:
        errors[name] = [f"must be greater than or equal to {low:g}"]
    elif value > high:
        errors[name] = [f"must be less than or equal to {high:g}"]
    else:
        return value
    return None


def _limits(body: Mapping[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    """cpu_time_limit, wall_time_limit, memory_limit (KB) and max_processes_and_or_threads become the
    run's limits; the others are checked against what config_info says this service enforces
    (number_of_runs, which becomes the task's `runs`, is `to_params`' own)."""
    config = catalog.maxima()
    limits: dict[str, Any] = {}
    cpu = _number(body, "cpu_time_limit", errors, 0.1, config["max_cpu_time_limit"])
    if cpu is not None:
        limits["time_s"] = cpu
    memory = _number(body, "memory_limit", errors, 16 * 1024, config["max_memory_limit"])
    if memory is not None:
        limits["memory_mb"] = math.ceil(memory / 1024)
    wall = _number(body, "wall_time_limit", errors, 1, config["max_wall_time_limit"])
    if wall is not None:
        limits["wall_s"] = wall
    _number(body, "cpu_extra_time", errors, 0, config["max_cpu_extra_time"])
    _number(body, "stack_limit", errors, 0, config["max_stack_limit"])
    processes = _number(body, "max_processes_and_or_threads", errors, 1, config["max_max_processes_and_or_threads"])
    if processes is not None:
        limits["processes"] = int(processes)
    _number(body, "max_file_size", errors, 0, config["max_max_file_size"])
    return limits


def _arguments(raw: Any, errors: dict[str, list[str]], field: str = "command_line_arguments") -> list[str]:
    """Arguments as Judge0's shell would split them (after dropping what Judge0 drops), for argv."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, str) or len(raw) > MAX_OPTION_CHARACTERS:
        errors[field] = [f"is too long (maximum is {MAX_OPTION_CHARACTERS} characters)"]
        return []
    try:
        args = shlex.split(ARGUMENT_CHARACTERS_DROPPED.sub("", raw))
    except ValueError:
        errors[field] = ["has an unmatched quote"]
        return []
    if len(args) > 32 or any(len(arg) > 256 for arg in args):
        errors[field] = ["at most 32 arguments of at most 256 characters each"]
    return args


# What this service does not offer, refused with the message Judge0 gives when its configuration
# turns the feature off (config_info says so too).
NOT_ALLOWED_TO_ENABLE = (
    "enable_network",
    "enable_per_process_and_thread_time_limit",
    "enable_per_process_and_thread_memory_limit",
)
TRUE = (True, "true", 1, "1")


def _refuse_what_is_off(body: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    for name in NOT_ALLOWED_TO_ENABLE:
        if body.get(name) in TRUE:
            errors[name] = ["this option cannot be enabled"]


def present(task: Task, result: Mapping[str, Any] | None, fields: tuple[str, ...], *, base64_encoded: bool) -> dict:
    """The submission's `fields`, as Judge0 shows them; NotUtf8 when an output needs base64."""
    everything = _submission(task, result)
    shown = {field: everything[field] for field in fields}
    for field in ENCODED_RESPONSE_FIELDS:
        value = shown.get(field)
        if value is None:
            continue
        if base64_encoded:
            shown[field] = base64.b64encode(value).decode()
        else:
            try:
                shown[field] = value.decode()
            except UnicodeDecodeError:
                raise NotUtf8 from None
    return shown


def _submission(task: Task, result: Mapping[str, Any] | None) -> dict[str, Any]:
    params = task.params
    language = LANGUAGES[params["language"]]
    limits = params["limits"]
    run = (result or {}).get("run") or {}
    status_id, message = _status(task, result)
    compiled = (result or {}).get("compile") or {}
    compile_output = _bytes(compiled, "stdout") + _bytes(compiled, "stderr")
    return {
        "source_code": source_bytes(params),
        "language_id": language.judge0_ids[0],
        "stdin": params.get("stdin", "").encode() or None,
        "expected_output": None if params.get("expected_output") is None else params["expected_output"].encode(),
        "stdout": _bytes(run, "stdout") or None,
        "status_id": status_id,
        "created_at": _timestamp(task.created_at),
        "finished_at": _timestamp(task.finished_at),
        "time": _decimal(run.get("time_s")),
        "memory": run.get("memory_kb"),
        "stderr": _bytes(run, "stderr") or None,
        "token": str(task.id),
        "number_of_runs": params.get("runs", 1),
        "cpu_time_limit": _decimal(limits["time_s"]),
        "cpu_extra_time": "0.0",
        "wall_time_limit": _decimal(limits.get("wall_s") or wall_seconds(limits["time_s"])),
        "memory_limit": limits["memory_mb"] * 1024,
        "stack_limit": 8192,
        "max_processes_and_or_threads": run_processes(limits, language),
        "enable_per_process_and_thread_time_limit": False,
        "enable_per_process_and_thread_memory_limit": False,
        "max_file_size": settings.CODE_MAX_FILE_KB,
        "compile_output": compile_output or None,
        "exit_code": run.get("exit_code") if run else None,
        "exit_signal": run.get("signal"),
        "message": message.encode() if message else None,
        "wall_time": _decimal(run.get("wall_s")),
        "compiler_options": shlex.join(params["compile_options"]) if params.get("compile_options") else None,
        "command_line_arguments": shlex.join(params["args"]) if params.get("args") else None,
        "redirect_stderr_to_stdout": params.get("merge_stderr", False),
        "callback_url": task.callback_url,
        "additional_files": None,
        "enable_network": False,
        "status": catalog.status(status_id),
        "language": {"id": language.judge0_ids[0], "name": catalog.name(language)},
    }


def _status(task: Task, result: Mapping[str, Any] | None) -> tuple[int, str | None]:
    """Judge0's status id and message for the task as it is."""
    if task.status is TaskStatus.QUEUED:
        return 1, None
    if task.status is TaskStatus.RUNNING:
        return 2, None
    if task.status is TaskStatus.CANCELLED:
        return 13, "cancelled before it finished"
    if task.status is TaskStatus.FAILED or result is None:
        return 13, task.error or "the sandbox failed"
    verdict = result["verdict"]
    run = result.get("run") or {}
    if verdict in VERDICT_STATUSES:
        return VERDICT_STATUSES[verdict], _verdict_message(verdict)
    if verdict == "runtime_error":
        sig = run.get("signal")
        if sig:
            return SIGNAL_STATUSES.get(sig, 12), f"Caught fatal signal {sig}"
        return 11, f"Exited with error status {run.get('exit_code')}"
    expected = task.params.get("expected_output")
    if expected is None or _judge0_strip(expected) == _judge0_strip(_bytes(run, "stdout").decode(errors="replace")):
        return 3, None
    return 4, None


def _verdict_message(verdict: str) -> str | None:
    return {
        "time_limit_exceeded": "Time limit exceeded",
        "memory_limit_exceeded": "Memory limit exceeded",
        "output_limit_exceeded": "Output limit exceeded",
        "disk_limit_exceeded": "Disk limit exceeded",
    }.get(verdict)


def _judge0_strip(text: str) -> str:
    """Judge0 compares outputs with each line's trailing whitespace and the trailing lines dropped."""
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()


def _bytes(report: Mapping[str, Any], stream: str) -> bytes:
    value = report.get(stream)
    if not value:
        return b""
    if report.get(f"{stream}_encoding") == "base64":
        return base64.b64decode(value)
    return value.encode()


def _decimal(seconds: float | None) -> str | None:
    """Judge0 shows seconds as decimal strings ("0.012")."""
    return None if seconds is None else f"{seconds:g}" if seconds != int(seconds) else f"{seconds:.1f}"


def _timestamp(moment: datetime | None) -> str | None:
    """Rails' JSON time: UTC with milliseconds and a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def result_of(data: bytes) -> dict[str, Any]:
    return json.loads(data)
