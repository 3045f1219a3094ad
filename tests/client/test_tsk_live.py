"""The real `tsk` executable, as a person at a terminal runs it, against a live server started as
`make run` starts it (gunicorn with the shipped config): output, verdicts, progress, Ctrl-C,
refusals and exit codes."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
from PIL import Image

TSK = Path(sys.executable).with_name("tsk")  # the console script `make run`/`make test` install


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.e2e.conftest import start_gunicorn

    started = start_gunicorn(tmp_path_factory.mktemp("tsk") / "gunicorn.log", {"SLEEP_MAX_SECONDS": "20"})
    yield started
    started.stop()


@pytest.fixture
def tsk(server, tmp_path):
    """Runs tsk with the server's URL and a config directory of the test's own; `stdin` feeds it."""

    def tsk(*args: str, key: str | None = None, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(TSK), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tmp_path,
            env=environment(server, tmp_path, key),
        )

    return tsk


def environment(server, tmp_path: Path, key: str | None) -> dict[str, str]:
    env = {**os.environ, "TASKSERVICE_URL": server.url, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("TASKSERVICE_KEY", None)
    if key:
        env["TASKSERVICE_KEY"] = key
    return env


def test_the_console_script_is_installed():
    assert TSK.exists(), "make run / make test install ./client into the project's .venv"


def test_run_prints_the_program_s_output_and_the_verdict(tsk, tmp_path):
    (tmp_path / "hello.py").write_text("print(f'hello, {input()}')\n")
    (tmp_path / "in.txt").write_text("world\n")
    done = tsk("run", "hello.py", "--stdin", "in.txt")
    assert done.returncode == 0 and done.stdout == "hello, world\n", done
    assert "verdict: ok" in done.stderr
    (tmp_path / "three.c").write_text("int main(void) { return 3; }\n")
    failed = tsk("run", "three.c")
    assert failed.returncode == 1 and "verdict: runtime_error, exit code 3" in failed.stderr, failed
    (tmp_path / "broken.c").write_text("int main(void) { return }\n")
    broken = tsk("run", "broken.c", "--json")
    assert broken.returncode == 1 and json.loads(broken.stdout)["verdict"] == "compile_error", broken


def test_run_with_test_cases_and_an_expected_output(tsk, tmp_path):
    (tmp_path / "double.py").write_text("print(2 * int(input()))\n")
    for name, text in {"1.in": "2\n", "1.out": "4\n", "2.in": "5\n", "2.out": "11\n"}.items():
        (tmp_path / name).write_text(text)
    accepted = tsk("run", "double.py", "--stdin", "1.in", "--expect", "1.out")
    assert accepted.returncode == 0 and "verdict: accepted" in accepted.stderr, accepted
    judged = tsk("run", "double.py", "--test", "1.in", "1.out", "--test", "2.in", "2.out")
    assert judged.returncode == 1, judged
    assert "test 1.in: accepted" in judged.stderr and "test 2.in: wrong_answer" in judged.stderr


def test_progress_of_a_multi_second_task_then_its_status_and_result(tsk):
    done = tsk("submit", "sleep", "--param", "seconds=3", "--wait")
    assert done.returncode == 0 and " sleep succeeded 100%" in done.stdout, done
    shown = [line for line in done.stderr.splitlines() if line.startswith("sleep: running ")]
    percents = [int(line.split()[-1].rstrip("%")) for line in shown]
    # The task reports 100% after its last step and only then finishes, so a read in between
    # may show "running 100%" (a loaded CI machine did): the first line shown is the one mid-way.
    assert len(percents) >= 2 and percents == sorted(percents) and 0 < percents[0] < 100, done.stderr
    assert percents[-1] <= 100, done.stderr
    task_id = done.stdout.split()[0]
    status = json.loads(tsk("status", task_id, "--json").stdout)
    assert status["state"] == "succeeded" and status["progress"] == 1.0
    result = json.loads(tsk("result", task_id).stdout)
    assert result["result"]["slept_seconds"] == 3.0


def interrupt_wait(server, tmp_path, task_id: str, answer: str) -> tuple[int, str]:
    """`tsk wait` on the task, Ctrl-C once it shows progress, `answer` to its question: (exit, stderr)."""
    process = subprocess.Popen(
        [str(TSK), "wait", task_id],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(server, tmp_path, None),
    )
    try:
        first = process.stderr.readline()  # once the task runs, tsk shows its progress
        assert first.startswith(f"{task_id}: "), first
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(answer, timeout=60)
    finally:
        process.kill()
        process.wait()
    return process.returncode, stderr


def test_ctrl_c_offers_to_cancel_and_cancels_on_yes(server, tsk, tmp_path):
    task_id = tsk("submit", "sleep", "--param", "seconds=15").stdout.strip()
    code, stderr = interrupt_wait(server, tmp_path, task_id, "y\n")
    assert code == 130, stderr
    assert f"Cancel task {task_id}? [y/N]" in stderr and f"cancelled {task_id}" in stderr, stderr
    assert json.loads(tsk("status", task_id, "--json").stdout)["state"] == "cancelled"


def test_ctrl_c_without_a_yes_leaves_the_task_running(server, tsk, tmp_path):
    task_id = tsk("submit", "sleep", "--param", "seconds=2").stdout.strip()
    code, stderr = interrupt_wait(server, tmp_path, task_id, "\n")
    assert code == 130 and f"left running: tsk wait {task_id}" in stderr, stderr
    assert tsk("wait", task_id, "--quiet").returncode == 0


def test_image_with_ops_writes_the_edited_photo(tsk, tmp_path):
    Image.radial_gradient("L").resize((800, 600)).convert("RGB").save(tmp_path / "photo.jpg")
    done = tsk("image", "photo.jpg", "-o", "out.png", "--op", "resize=400", "--op", "blur=2", "--op", "grayscale")
    assert done.returncode == 0 and "wrote out.png (400x300)" in done.stderr, done
    with Image.open(tmp_path / "out.png") as edited:
        assert (edited.format, edited.size, edited.mode) == ("PNG", (400, 300), "L")
    listed = tsk("image", "--list")
    assert listed.returncode == 0 and "blur" in listed.stdout and "radius" in listed.stdout
    bad = tsk("image", "photo.jpg", "-o", "x.png", "--op", "blur=500")
    assert bad.returncode == 3 and "#/params/filters/0/radius" in bad.stderr, bad


def test_matrix_from_csv_and_npy_files(tsk, tmp_path):
    a = numpy.arange(6, dtype=numpy.int64).reshape(2, 3)
    b = numpy.arange(12, dtype=numpy.float64).reshape(3, 4) / 4
    numpy.savetxt(tmp_path / "a.csv", a, delimiter=",", fmt="%d")
    numpy.save(tmp_path / "b.npy", b)
    done = tsk("matrix", "a.csv", "b.npy", "-o", "c.npy")
    assert done.returncode == 0, done
    assert numpy.allclose(numpy.load(tmp_path / "c.npy"), a @ b)
    square = tsk("matrix", "a.csv", "--power", "2")
    assert square.returncode == 3 and "square" in square.stderr.lower(), square
    printed = tsk("matrix", "a.csv", "b.npy", "--dtype", "float32")
    rows = [[float(x) for x in line.split()] for line in printed.stdout.splitlines()]
    assert numpy.allclose(rows, a @ b), printed


def test_listing_languages_kinds_and_me(tsk):
    languages = tsk("languages")
    assert languages.returncode == 0 and "python" in languages.stdout
    assert {kind["name"] for kind in json.loads(tsk("kinds", "--json").stdout)} >= {"sleep", "code", "image"}
    assert json.loads(tsk("me", "--json").stdout)["anonymous"] is True


def test_a_bad_key_is_refused_with_exit_4(tsk):
    done = tsk("ls", key="tsk_not_a_real_key")
    assert done.returncode == 4 and "Unauthorized (401)" in done.stderr and "tsk login" in done.stderr, done
    machine = tsk("me", "--json", key="tsk_not_a_real_key")
    assert machine.returncode == 4 and json.loads(machine.stdout)["status"] == 401


def test_a_quota_refusal_says_which_quota_and_when_to_retry(tmp_path):
    from tests.e2e.conftest import start_gunicorn

    server = start_gunicorn(tmp_path / "strict.log", {"QUOTA_ANON_IN_PROGRESS": "1", "SLEEP_MAX_SECONDS": "20"})
    try:
        env = environment(server, tmp_path, None)
        first = subprocess.run(
            [str(TSK), "submit", "sleep", "-p", "seconds=10"], capture_output=True, text=True, env=env
        )
        assert first.returncode == 0, first
        second = subprocess.run([str(TSK), "submit", "sleep"], capture_output=True, text=True, env=env)
        assert second.returncode == 5, second
        assert "Quota exceeded (429)" in second.stderr and "[quota in_progress: 1 of 1 used; retry in" in second.stderr
        subprocess.run([str(TSK), "cancel", first.stdout.strip()], capture_output=True, env=env, check=True)
    finally:
        server.stop()


def test_login_stores_a_private_token_and_logout_revokes_it(server, tsk, tmp_path):
    done = tsk("login", "tsk_user", "--register", "--password-stdin", stdin="a long enough password\n")
    assert done.returncode == 0, done
    stored = tmp_path / "config" / "tsk" / "config.json"
    assert stored.stat().st_mode & 0o777 == 0o600 and (stored.parent.stat().st_mode & 0o777) == 0o700
    assert json.loads(tsk("me", "--json").stdout)["username"] == "tsk_user"
    token = json.loads(stored.read_text())["token"]
    assert tsk("logout").returncode == 0 and not stored.exists()
    assert tsk("me", key=token).returncode == 4  # revoked on the server, not only forgotten here
