"""tsk's commands. Each talks to the service's public API only (tsk.api) and prints for people,
or with --json the service's own JSON for programs.

Exit codes: 0 done (the task succeeded; for code, the verdict is ok or accepted), 1 the task
finished otherwise (failed, cancelled, any other verdict), 2 usage, 3 the service refused the
request (4xx), 4 the key was refused (401/403), 5 a quota is used up (429), 6 no usable answer
from the service (not running, 5xx), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tsk import __version__, config, matrices
from tsk.api import Api, Problem, Unreachable
from tsk.follow import Interrupted, follow

OK, FINISHED_OTHERWISE, USAGE, REFUSED, UNAUTHORIZED, QUOTA, UNREACHABLE, INTERRUPTED = 0, 1, 2, 3, 4, 5, 6, 130
GOOD_VERDICTS = ("ok", "accepted")
# Extensions the service's source file names do not give (its python is main.py, so .py is known).
EXTENSIONS = {".cc": "cpp", ".cxx": "cpp", ".c++": "cpp", ".mjs": "javascript", ".cjs": "javascript", ".ex": "elixir"}

out = Console(highlight=False, soft_wrap=True, markup=False)  # what the service says is never markup
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class Usage(Exception):
    """A mistake on the command line that argparse cannot see (a missing file, a bad --op)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = config.load(args.url, args.key)
    api = Api(settings.url, settings.key, timeout=args.timeout)
    try:
        return args.handler(api, args)
    except Problem as problem:
        return _refused(problem, args.json)
    except Unreachable as exc:
        err.print(f"tsk: {exc}")
        return UNREACHABLE
    except (Usage, ValueError, OSError) as exc:
        err.print(f"tsk: {exc}")
        return USAGE
    except Interrupted as stop:
        if args.json:
            _json({"task_id": stop.task_id, "cancelled": stop.cancelled})
        return INTERRUPTED
    except KeyboardInterrupt:
        return INTERRUPTED
    finally:
        api.close()


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for programs")
    parser = argparse.ArgumentParser(
        prog="tsk",
        description="A command line for taskservice.",
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"tsk {__version__}")
    parser.add_argument("--url", help="the service (default: $TASKSERVICE_URL, else the login's, else %(default)s)")
    parser.add_argument("--key", help="an API key or login token (default: $TASKSERVICE_KEY, else tsk login's)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    parser.set_defaults(url=None)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[Api, argparse.Namespace], int], text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=text, description=text)
        sub.set_defaults(handler=handler)
        return sub

    run = command("run", run_code, "Run a program (language from the extension) and print its output.")
    run.add_argument("file", type=Path)
    run.add_argument("--lang", help="the language (tsk languages lists them)")
    run.add_argument("--stdin", type=Path, help="a file for the program's standard input")
    run.add_argument("--expect", type=Path, help="a file with the expected output: accepted or wrong_answer")
    run.add_argument("--test", nargs=2, action="append", metavar=("IN", "OUT"), help="a test case (repeatable)")
    run.add_argument("--arg", action="append", default=[], help="an argument for the program (repeatable)")
    run.add_argument("--time", type=float, help="CPU seconds per run")
    run.add_argument("--memory", type=int, help="memory in MB")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress, no verdict line")

    image = command("image", edit_image, "Edit a photo: a pipeline of --op steps (tsk image --list shows them).")
    image.add_argument("input", type=Path, nargs="?")
    image.add_argument("-o", "--output", type=Path, help="where to write the edited image")
    image.add_argument("--op", action="append", default=[], help="a step: name, name=value or name:key=value,...")
    image.add_argument("--quality", type=int, help="JPEG/WebP quality (1-100)")
    image.add_argument("--list", action="store_true", help="list the filter ops and their parameters")
    image.add_argument("--quiet", "-q", action="store_true", help="no progress")

    matrix = command("matrix", multiply, "Multiply matrices: A @ B, or A to a --power (.npy or CSV files).")
    matrix.add_argument("a", type=Path)
    matrix.add_argument("b", type=Path, nargs="?")
    matrix.add_argument("-o", "--output", type=Path, help="where to write the product (.npy or .csv)")
    matrix.add_argument("--power", type=int)
    matrix.add_argument("--dtype", choices=("float64", "float32", "int64"))
    matrix.add_argument("--quiet", "-q", action="store_true", help="no progress")

    submit = command("submit", submit_task, "Submit a task of any kind (tsk kinds lists them); prints its id.")
    submit.add_argument("kind")
    submit.add_argument("--param", "-p", action="append", default=[], help="key=value (dotted keys nest; JSON values)")
    submit.add_argument("--wait", action="store_true", help="follow it to the end, then print its status")

    status = command("status", show_status, "A task's status.")
    status.add_argument("task_id")
    status.add_argument("--wait", type=float, help="wait up to this many seconds for it to finish")

    result = command("result", show_result, "A task's result: JSON printed, a file written with -o.")
    result.add_argument("task_id")
    result.add_argument("-o", "--output", type=Path)

    wait = command("wait", wait_task, "Follow a task to its end with a progress bar.")
    wait.add_argument("task_id")
    wait.add_argument("--quiet", "-q", action="store_true", help="no progress")

    cancel = command("cancel", cancel_task, "Cancel a task.")
    cancel.add_argument("task_id")

    listing = command("ls", list_tasks, "Your tasks, newest first.")
    listing.add_argument("--status", choices=("in_progress", "ready", "failed", "cancelled"))
    listing.add_argument("--kind")
    listing.add_argument("--limit", type=int, default=20)

    command("languages", list_languages, "The languages the code runner offers here.")
    command("kinds", list_kinds, "The task kinds and what they take.")
    command("me", show_me, "Who the service takes you for, your quotas and what you use.")

    login = command("login", log_in, "Log in (or --register first) and store the token for this URL.")
    login.add_argument("username")
    login.add_argument("--register", action="store_true", help="create the user first")
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    command("logout", log_out, "Revoke the stored token and forget it.")
    return parser


# --- the commands -----------------------------------------------------------------------------


def run_code(api: Api, args: argparse.Namespace) -> int:
    language = args.lang or guess_language(api, args.file)
    raw = args.file.read_bytes()
    params: dict[str, Any] = {"language": language}
    try:
        params["source"] = raw.decode()
    except UnicodeDecodeError:  # a binary: only the `executable` language takes one
        params.update(source=base64.b64encode(raw).decode(), source_encoding="base64")
    if args.stdin:
        params["stdin"] = args.stdin.read_text()
    if args.expect:
        params["expected_output"] = args.expect.read_text()
    if args.test:
        params["tests"] = [
            {"name": Path(given).name, "stdin": Path(given).read_text(), "expected_output": Path(wanted).read_text()}
            for given, wanted in args.test
        ]
    if args.arg:
        params["args"] = args.arg
    limits = {name: value for name, value in (("time_s", args.time), ("memory_mb", args.memory)) if value is not None}
    if limits:
        params["limits"] = limits
    task = api.submit("code", params)
    status = follow(api, task["task_id"], show=not (args.quiet or args.json), label=f"{language} {args.file.name}")
    if status["status"] != "ready":
        return _unfinished(status, args.json)
    result = api.result(task["task_id"]).json()["result"]
    if args.json:
        _json(result)
    else:
        _print_code_result(result, quiet=args.quiet)
    return OK if result["verdict"] in GOOD_VERDICTS else FINISHED_OTHERWISE


def guess_language(api: Api, file: Path) -> str:
    """The language whose source file has this extension (of several, the shortest name: `c`
    before `c-clang`), from what the service offers."""
    suffix = file.suffix.lower()
    offered = api.json("GET", "/languages")
    names = {language["name"] for language in offered}
    if suffix in EXTENSIONS and EXTENSIONS[suffix] in names:
        return EXTENSIONS[suffix]
    matches = sorted(
        (language["name"] for language in offered if suffix and Path(language["source_file"]).suffix == suffix),
        key=lambda name: (len(name), name),
    )
    if not matches:
        raise Usage(f"no language here takes {suffix or 'files without an extension'}: name one with --lang")
    return matches[0]


def _print_code_result(result: dict[str, Any], *, quiet: bool) -> None:
    compiled = result.get("compile") or {}
    if result["verdict"] == "compile_error":
        sys.stderr.write(_text(compiled, "stdout") + _text(compiled, "stderr"))
    for case in result.get("tests") or []:
        err.print(f"test {case.get('name', '')}: {case['verdict']}" + _figures(case))
    run = result.get("run") or {}
    sys.stdout.write(_text(run, "stdout"))
    sys.stdout.flush()
    sys.stderr.write(_text(run, "stderr"))
    if not quiet:
        exit_code = f", exit code {run['exit_code']}" if run.get("exit_code") else ""
        err.print(f"verdict: {result['verdict']}{exit_code}" + _figures(run))


def _figures(run: dict[str, Any]) -> str:
    parts = []
    if run.get("time_s") is not None:
        parts.append(f"{run['time_s']:.3f} s CPU")
    if run.get("memory_kb"):
        parts.append(f"{run['memory_kb'] / 1024:.1f} MB")
    return f" ({', '.join(parts)})" if parts else ""


def _text(report: dict[str, Any], stream: str) -> str:
    value = report.get(stream) or ""
    if report.get(f"{stream}_encoding") == "base64":
        return base64.b64decode(value).decode(errors="replace")
    return value


def edit_image(api: Api, args: argparse.Namespace) -> int:
    menu = api.json("GET", "/filters")
    if args.list:
        if args.json:
            _json(menu)
            return OK
        table = Table("op", "parameters", "example", box=None)
        for entry in menu:
            names = [name for name in entry["params_schema"].get("properties", {}) if name != "op"]
            table.add_row(entry["op"], ", ".join(names), json.dumps(entry["example"]))
        out.print(table)
        return OK
    if args.input is None or args.output is None or not args.op:
        raise Usage("tsk image IN -o OUT --op STEP [--op STEP ...] (tsk image --list shows the ops)")
    steps = [step(text, menu) for text in args.op]
    output: dict[str, Any] = {}
    fmt = args.output.suffix.lower().lstrip(".")
    if fmt:
        output["format"] = {"jpg": "jpeg", "tif": "tiff"}.get(fmt, fmt)
    if args.quality is not None:
        output["quality"] = args.quality
    fields = {"kind": "image", "filters": json.dumps(steps)}
    if output:
        fields["output"] = json.dumps(output)
    task = api.submit_form(fields, {"image": (args.input.name, args.input.read_bytes())})
    status = follow(api, task["task_id"], show=not (args.quiet or args.json), label=args.input.name)
    if status["status"] != "ready":
        return _unfinished(status, args.json)
    args.output.write_bytes(api.result(task["task_id"]).content)
    if args.json:
        _json(status)
    else:
        meta = (status.get("result") or {}).get("meta") or {}
        size = f" ({meta['width']}x{meta['height']})" if "width" in meta and "height" in meta else ""
        err.print(f"wrote {args.output}{size}")
    return OK


def step(text: str, menu: list[dict[str, Any]]) -> dict[str, Any]:
    """`blur`, `blur=2` (the op's first parameter) or `crop:left=0,top=0,right=10,bottom=10`."""
    if ":" in text:
        name, _, rest = text.partition(":")
        pairs = [pair.partition("=") for pair in rest.split(",") if pair]
        if any(not separator for _, separator, _ in pairs):
            raise Usage(f"--op {text}: write name:key=value,key=value")
        return {"op": name, **{key: _value(value) for key, _, value in pairs}}
    name, separator, value = text.partition("=")
    if not separator:
        return {"op": name}
    entry = next((entry for entry in menu if name == entry["op"] or name in entry.get("aliases", [])), None)
    names = [key for key in (entry or {}).get("params_schema", {}).get("properties", {}) if key != "op"]
    if not names:
        raise Usage(f"--op {text}: {name} takes no value here (tsk image --list shows the ops)")
    return {"op": name, names[0]: _value(value)}


def multiply(api: Api, args: argparse.Namespace) -> int:
    if (args.b is None) == (args.power is None):
        raise Usage("give B or --power, not both")
    a, dtype = matrices.read(args.a)
    params: dict[str, Any] = {"a": a}
    if args.b is not None:
        params["b"], b_dtype = matrices.read(args.b)
        dtype = matrices.common(dtype, b_dtype)
    else:
        params["power"] = args.power
    dtype = args.dtype or dtype
    params["dtype"] = dtype
    task = api.submit("matrix", params)
    status = follow(api, task["task_id"], show=not (args.quiet or args.json), label="matrix")
    if status["status"] != "ready":
        return _unfinished(status, args.json)
    answer = api.result(task["task_id"])
    npy = None if answer.headers.get("content-type", "").startswith("application/json") else answer.content
    rows = answer.json()["result"]["result"] if npy is None else []
    if args.output is not None:
        matrices.write(args.output, rows, dtype, npy)
        meta = (status.get("result") or {}).get("meta") or {}
        if args.json:
            _json(meta)
        else:
            err.print(f"wrote {args.output} ({' x '.join(map(str, meta.get('shape', [])))} {dtype})")
    elif npy is not None:
        raise Usage("the product is too large to print: write it with -o FILE.npy")
    elif args.json:
        _json(answer.json()["result"])
    else:
        for row in rows:
            out.print(" ".join(str(value) for value in row))
    return OK


def submit_task(api: Api, args: argparse.Namespace) -> int:
    params: dict[str, Any] = {}
    for pair in args.param:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise Usage(f"--param {pair}: write key=value")
        *path, last = key.split(".")
        target = params
        for part in path:
            target = target.setdefault(part, {})
        target[last] = _value(value)
    task = api.submit(args.kind, params)
    if not args.wait:
        if args.json:
            _json(task)
        else:
            out.print(task["task_id"])
        return OK
    status = follow(api, task["task_id"], show=not args.json, label=args.kind)
    _show_status(status, args.json)
    return OK if status["state"] == "succeeded" else FINISHED_OTHERWISE


def show_status(api: Api, args: argparse.Namespace) -> int:
    status = api.status(args.task_id, wait=args.wait)
    _show_status(status, args.json)
    return OK


def show_result(api: Api, args: argparse.Namespace) -> int:
    answer = api.result(args.task_id)
    is_json = answer.headers.get("content-type", "").startswith("application/json")
    if args.output is not None:
        content = json.dumps(answer.json()["result"], indent=2).encode() + b"\n" if is_json else answer.content
        args.output.write_bytes(content)
        if not args.json:
            err.print(f"wrote {args.output} ({len(content):,} bytes)")
        return OK
    if is_json:
        _json(answer.json())
        return OK
    if sys.stdout.isatty():
        raise Usage(f"the result is a file ({answer.headers.get('content-type')}): write it with -o FILE")
    sys.stdout.buffer.write(answer.content)
    return OK


def wait_task(api: Api, args: argparse.Namespace) -> int:
    status = follow(api, args.task_id, show=not (args.quiet or args.json))
    _show_status(status, args.json)
    return OK if status["state"] == "succeeded" else FINISHED_OTHERWISE


def cancel_task(api: Api, args: argparse.Namespace) -> int:
    status = api.cancel(args.task_id)
    _show_status(status, args.json)
    return OK


def list_tasks(api: Api, args: argparse.Namespace) -> int:
    query = {"limit": args.limit, **{name: getattr(args, name) for name in ("status", "kind") if getattr(args, name)}}
    page = api.json("GET", "/tasks", params=query)
    if args.json:
        _json(page)
        return OK
    table = Table("task", "kind", "status", "progress", "created", box=None)
    table.columns[0].no_wrap = True  # ids are what the other commands take: never cut
    for task in page["results"]:
        progress = f"{100 * (task.get('progress') or 0):.0f}%"
        created = task["created_at"][:16].replace("T", " ") + "Z"
        table.add_row(task["task_id"], task["kind"], task["state"], progress, created)
    out.print(table)
    return OK


def list_languages(api: Api, args: argparse.Namespace) -> int:
    return _listing(
        api.json("GET", "/languages"),
        args.json,
        ("language", "source file", "version"),
        lambda language: (language["name"], language["source_file"], language["version"].splitlines()[0]),
    )


def list_kinds(api: Api, args: argparse.Namespace) -> int:
    return _listing(
        api.json("GET", "/kinds"),
        args.json,
        ("kind", "params", "summary"),
        lambda kind: (kind["name"], ", ".join(kind["params_schema"].get("properties", {})), kind["summary"]),
    )


def _listing(items: list[dict[str, Any]], as_json: bool, columns: tuple[str, ...], row: Callable) -> int:
    """A list from the service: as it came (--json), or a table of `columns`, `row` giving each line."""
    if as_json:
        _json(items)
        return OK
    table = Table(*columns, box=None)
    for item in items:
        table.add_row(*row(item))
    out.print(table)
    return OK


def show_me(api: Api, args: argparse.Namespace) -> int:
    me = api.json("GET", "/me")
    if args.json:
        _json(me)
        return OK
    who = me.get("username") or f"anonymous ({me.get('address')})"
    out.print(f"{who} at {api.url}")
    table = Table("quota", "value", box=None)
    for name, value in _flatten(me.get("quotas", {})):
        table.add_row(name, str(value))
    for name, value in _flatten(me.get("usage", me.get("used", {}))):
        table.add_row(f"using: {name}", str(value))
    out.print(table)
    return OK


def log_in(api: Api, args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = os.environ.get("TASKSERVICE_PASSWORD") or getpass.getpass(f"password for {args.username}: ")
    credentials = {"username": args.username, "password": password}
    anonymous = Api(api.url, None)  # never the key of an earlier login, which may be revoked
    if args.register:
        anonymous.json("POST", "/register", json=credentials)
    token = anonymous.json("POST", "/login", json=credentials)
    path = config.save_login(api.url, args.username, token["token"], token.get("expires_at"))
    if args.json:
        _json({"username": args.username, "url": api.url, "expires_at": token.get("expires_at"), "stored": str(path)})
    else:
        err.print(f"logged in as {args.username} at {api.url} until {token.get('expires_at')}; token in {path}")
    return OK


def log_out(api: Api, args: argparse.Namespace) -> int:
    stored = config.stored()
    if stored.get("token") and stored.get("url") == api.url:
        try:
            Api(api.url, stored["token"]).request("POST", "/logout")
        except Problem as problem:
            if problem.status != 401:  # 401: revoked or expired already; forget it all the same
                raise
    forgot = config.forget_login()
    if not args.json:
        err.print("logged out" if forgot else "no stored login")
    return OK


# --- printing ----------------------------------------------------------------------------------


def _show_status(status: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _json(status)
        return
    line = f"{status['task_id']} {status['kind']} {status['state']} {100 * (status.get('progress') or 0):.0f}%"
    out.print(line + (f": {status['error']}" if status.get("error") else ""))


def _unfinished(status: dict[str, Any], as_json: bool) -> int:
    if as_json:
        _json(status)
    else:
        err.print(f"task {status['task_id']} {status['state']}: {status.get('error') or ''}")
    return FINISHED_OTHERWISE


def _refused(problem: Problem, as_json: bool) -> int:
    if as_json:
        _json({"status": problem.status, "retry_after": problem.retry_after, **problem.body})
    else:
        err.print(f"tsk: {problem.line()}")
        for line in problem.field_lines():
            err.print(f"  {line}")
        if problem.status == 401:
            err.print("  (set TASKSERVICE_KEY, or log in: tsk login USERNAME)")
    if problem.status in (401, 403):
        return UNAUTHORIZED
    return QUOTA if problem.status == 429 else REFUSED


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")


def _value(text: str) -> Any:
    """A value as JSON if it parses (2, 1.5, true, [1,2], {"a":1}), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _flatten(item, f"{prefix}{key}.")]
    return [(prefix.rstrip("."), value)]
