"""What a Judge0 CE 1.13.1 client reads before it submits: the languages (by Judge0's ids), the
statuses, the configuration and `about`. Every value comes from this host and the settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from kinds.code.kind import MAX_FILES_BYTES, CodeLimits, offered_languages, wall_seconds
from kinds.code.languages import PROCESSES, Language, command, version_number

VERSION = "1.13.1"
BATCH_MAX = 20  # Judge0's MAX_SUBMISSION_BATCH_SIZE
# (id, description), as Judge0 numbers them.
STATUSES = (
    (1, "In Queue"),
    (2, "Processing"),
    (3, "Accepted"),
    (4, "Wrong Answer"),
    (5, "Time Limit Exceeded"),
    (6, "Compilation Error"),
    (7, "Runtime Error (SIGSEGV)"),
    (8, "Runtime Error (SIGXFSZ)"),
    (9, "Runtime Error (SIGFPE)"),
    (10, "Runtime Error (SIGABRT)"),
    (11, "Runtime Error (NZEC)"),
    (12, "Runtime Error (Other)"),
    (13, "Internal Error"),
    (14, "Exec Format Error"),
)
DESCRIPTION = dict(STATUSES)


def status(status_id: int) -> dict[str, Any]:
    return {"id": status_id, "description": DESCRIPTION[status_id]}


def by_id() -> dict[int, Language]:
    """Every id a Judge0 client may send for a language installed here (C is 48, 49 and 50)."""
    return {judge0_id: language for language in offered_languages() for judge0_id in language.judge0_ids}


def name(language: Language) -> str:
    return language.judge0_name.format(version=version_number(language))


def listed() -> list[dict[str, Any]]:
    """`GET /languages`: one entry per language, under the id Judge0 lists it by."""
    entries = [{"id": language.judge0_ids[0], "name": name(language)} for language in offered_languages()]
    return sorted(entries, key=lambda entry: entry["id"])


def detail(judge0_id: int, language: Language) -> dict[str, Any]:
    return {
        "id": judge0_id,
        "name": name(language),
        "is_archived": False,
        "source_file": language.source_file,
        "compile_cmd": " ".join(command(language.compile, language)) if language.compile else None,
        "run_cmd": " ".join(command(language.run, language)),
    }


def defaults() -> dict[str, Any]:
    """The limits a submission gets when it names none: the code kind's."""
    fields = CodeLimits().fields
    time_s = fields["time_s"].default
    return {
        "cpu_time_limit": time_s,
        "wall_time_limit": wall_seconds(time_s),
        "memory_limit": fields["memory_mb"].default * 1024,
    }


def maxima() -> dict[str, Any]:
    """The largest limits a submission may ask for (config_info's `max_*`), from the settings."""
    return {
        "max_cpu_time_limit": settings.CODE_MAX_TIME_S,
        "max_cpu_extra_time": 0.0,
        "max_wall_time_limit": wall_seconds(settings.CODE_MAX_TIME_S),
        "max_memory_limit": settings.CODE_MAX_MEMORY_MB * 1024,
        "max_stack_limit": 8192,
        "max_max_processes_and_or_threads": settings.CODE_MAX_PROCESSES,
        "max_max_file_size": settings.CODE_MAX_FILE_KB,
        "max_number_of_runs": settings.CODE_MAX_RUNS,
    }


def config_info() -> dict[str, Any]:
    """Judge0's `config_info`, true of this service: what is off here is off, so a client that
    reads it (the official SDK does) never sends what would be refused."""
    given = defaults()
    return {
        **maxima(),
        "maintenance_mode": False,
        "enable_wait_result": True,
        "enable_compiler_options": True,
        "allowed_languages_for_compile_options": [],
        "enable_command_line_arguments": True,
        "enable_submission_delete": True,
        "enable_callbacks": True,  # for callers with an API key: a callback is signed with their secret
        "callbacks_max_tries": settings.WEBHOOK_MAX_ATTEMPTS,
        "callbacks_timeout": settings.WEBHOOK_TIMEOUT_SECONDS,
        "enable_additional_files": True,
        "max_queue_size": settings.TASK_QUEUE_SIZE,
        "cpu_time_limit": given["cpu_time_limit"],
        "cpu_extra_time": 0.0,
        "wall_time_limit": given["wall_time_limit"],
        "memory_limit": given["memory_limit"],
        "stack_limit": 8192,
        "max_processes_and_or_threads": PROCESSES,  # RUNTIME_PROCESSES for the JVM, Go, BEAM, .NET, V8...
        "enable_per_process_and_thread_time_limit": False,
        "allow_enable_per_process_and_thread_time_limit": False,
        "enable_per_process_and_thread_memory_limit": False,
        "allow_enable_per_process_and_thread_memory_limit": False,
        "max_file_size": settings.CODE_MAX_FILE_KB,
        "number_of_runs": 1,
        "redirect_stderr_to_stdout": False,
        "max_extract_size": MAX_FILES_BYTES // 1024,
        "enable_batched_submissions": True,
        "max_submission_batch_size": BATCH_MAX,
        "submission_cache_duration": 0.0,
        "use_docs_as_homepage": False,
        "allow_enable_network": False,
        "enable_network": False,
    }


def about() -> dict[str, Any]:
    return {
        "version": VERSION,
        "homepage": "/api/docs/",
        "source_code": "/api/schema/",
        "maintainer": "taskservice: the Judge0 CE 1.13.1 API over its code runner",
    }
