"""tsk's parts that need no server: matrices in files, image steps, language guessing, the login file."""

import io
import json
from pathlib import Path

import numpy
import pytest
from tsk import cli, config, matrices
from tsk.api import Problem, checked

MENU = [
    {"op": "blur", "aliases": ["gaussian"], "params_schema": {"properties": {"radius": {}, "op": {}}}},
    {"op": "grayscale", "aliases": [], "params_schema": {"properties": {"op": {}}}},
    {"op": "resize", "aliases": [], "params_schema": {"properties": {"width": {}, "height": {}, "op": {}}}},
]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_npy_files_round_trip_with_numpy(tmp_path, dtype):
    array = (numpy.arange(12).reshape(3, 4) * 1.5).astype(dtype)
    numpy.save(tmp_path / "a.npy", array)
    rows, read_dtype = matrices.read(tmp_path / "a.npy")
    assert read_dtype == dtype and numpy.array_equal(numpy.array(rows, dtype=dtype), array)
    written = numpy.load(io.BytesIO(matrices.to_npy(rows, dtype)))
    assert written.dtype == numpy.dtype(dtype) and numpy.array_equal(written, array)


def test_npy_files_other_than_2d_c_order_are_refused(tmp_path):
    numpy.save(tmp_path / "f.npy", numpy.asfortranarray(numpy.ones((2, 3))))
    numpy.save(tmp_path / "v.npy", numpy.ones(3))
    for name in ("f.npy", "v.npy"):
        with pytest.raises(ValueError, match="only 2-D C-order"):
            matrices.read(tmp_path / name)
    (tmp_path / "x.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match=r"not a \.npy file"):
        matrices.read(tmp_path / "x.npy")


def test_csv_files_give_integers_or_floats(tmp_path):
    (tmp_path / "i.csv").write_text("1,2\n3,4\n")
    (tmp_path / "f.csv").write_text("1, 2.5\n\n3,4\n")
    assert matrices.read(tmp_path / "i.csv") == ([[1, 2], [3, 4]], "int64")
    assert matrices.read(tmp_path / "f.csv") == ([[1, 2.5], [3, 4]], "float64")
    assert matrices.common("int64", "float32") == "float64" and matrices.common("float32", "float32") == "float32"


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("grayscale", {"op": "grayscale"}),
        ("blur=2.5", {"op": "blur", "radius": 2.5}),
        ("gaussian=3", {"op": "gaussian", "radius": 3}),
        ("resize=800", {"op": "resize", "width": 800}),
        ("resize:width=10,height=20", {"op": "resize", "width": 10, "height": 20}),
    ],
)
def test_image_steps_from_the_command_line(text, step):
    assert cli.step(text, MENU) == step


@pytest.mark.parametrize("text", ["grayscale=1", "resize:width"])
def test_image_steps_that_cannot_be_read_are_usage_errors(text):
    with pytest.raises(cli.Usage):
        cli.step(text, MENU)


class Offered:
    def json(self, method, path):
        assert (method, path) == ("GET", "/languages")
        names = {"python": "main.py", "c": "main.c", "c-clang": "main.c", "cpp": "main.cpp", "multifile": "run"}
        return [{"name": name, "source_file": source} for name, source in names.items()]


@pytest.mark.parametrize(("file", "language"), [("a.py", "python"), ("x.C", "c"), ("b.cc", "cpp"), ("m.cpp", "cpp")])
def test_the_language_comes_from_the_extension(file, language):
    assert cli.guess_language(Offered(), Path(file)) == language


def test_an_unknown_extension_asks_for_lang():
    with pytest.raises(cli.Usage, match="--lang"):
        cli.guess_language(Offered(), Path("notes.xyz"))


def test_the_login_file_is_private_and_bound_to_its_url(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("TASKSERVICE_URL", raising=False)
    monkeypatch.delenv("TASKSERVICE_KEY", raising=False)
    path = config.save_login("http://a.example", "alice", "tsk_secret", None)
    assert path.stat().st_mode & 0o777 == 0o600 and json.loads(path.read_text())["token"] == "tsk_secret"
    assert config.load().url == "http://a.example" and config.load().key == "tsk_secret"
    assert config.load(url="http://b.example").key is None  # never sent to another service
    monkeypatch.setenv("TASKSERVICE_KEY", "tsk_env")
    assert config.load().key == "tsk_env"


def test_a_problem_reads_as_one_line_with_its_quota_and_retry():
    problem = Problem(
        429,
        {"title": "Quota exceeded", "detail": "Too many.", "quota": "submissions", "limit": 10, "used": 10},
        "17",
    )
    assert problem.line() == "Quota exceeded (429): Too many. [quota submissions: 10 of 10 used; retry in 17 s]"
    assert Problem(400, {"title": "Bad", "errors": [{"pointer": "#/x", "detail": "no"}]}).field_lines() == ["#/x: no"]


def test_task_ids_are_checked_before_any_request():
    with pytest.raises(ValueError, match="not a task id"):
        checked("../../admin")


class CancellingApi:
    """The service's answers to a cancel of a running task: 202 still running, then `states`."""

    def __init__(self, *states: str) -> None:
        self.states = list(states)
        self.reads = 0

    def cancel(self, task_id: str) -> dict:
        return {"status": "in_progress", "state": "running", "cancel_requested": True}

    def status(self, task_id: str, wait: float | None = None) -> dict:
        self.reads += 1
        state = self.states.pop(0) if self.states else "running"
        return {"status": "in_progress" if state == "running" else state, "state": state}


def offer_cancel(api, monkeypatch) -> str:
    from rich.console import Console
    from tsk import follow

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    console = Console(file=io.StringIO(), highlight=False, markup=False)
    assert follow._offer_cancel(api, "7d1c6f0e-1b1a-4c1e-9f53-5d0d3e6f7a10", console) is True
    return console.file.getvalue()


def test_ctrl_c_then_yes_says_cancelled_once_the_running_task_has_stopped(monkeypatch):
    """A running task stops at its next check; tsk said "cancelled" at once, before it had."""
    api = CancellingApi("running", "cancelled")
    said = offer_cancel(api, monkeypatch)
    assert "cancelled 7d1c6f0e" in said and api.reads == 2, said


def test_a_task_that_has_not_stopped_in_time_is_said_to_be_asked(monkeypatch):
    from tsk import follow

    monkeypatch.setattr(follow, "CANCEL_WAIT_SECONDS", 0.0)
    said = offer_cancel(CancellingApi(), monkeypatch)
    assert "cancel requested; 7d1c6f0e-1b1a-4c1e-9f53-5d0d3e6f7a10 is running: tsk wait" in said, said
    assert "cancelled" not in said.replace("cancel requested", ""), said
