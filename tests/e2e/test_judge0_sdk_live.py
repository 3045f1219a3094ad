"""The official Judge0 Python SDK (`judge0` on PyPI, unchanged) against real gunicorn, configured
as a self-hosting user does: JUDGE0_CE_ENDPOINT and JUDGE0_CE_AUTH_HEADERS (an API key in
Judge0's X-Auth-Token header)."""

import json

import judge0
import pytest
import requests

from kinds.code.languages import LANGUAGES
from tests.e2e.conftest import embedded_database, manage, start_gunicorn
from tests.programs import PROGRAMS

# Judge0's id for each language the code kind offers.
OURS = {language.judge0_ids[0]: name for name, language in LANGUAGES.items()}
HELLO = {name: programs["hello"] for name, programs in PROGRAMS.items()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_gunicorn(tmp_path_factory.mktemp("judge0") / "gunicorn.log")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def key(server):
    return manage("create_api_key", "judge", "--create-user", env=embedded_database(server)).strip()


@pytest.fixture
def sdk(server, key, monkeypatch):
    """The SDK's implicit client, resolved from the environment afresh for each test."""
    monkeypatch.setenv("JUDGE0_CE_ENDPOINT", f"{server.url}/judge0")
    monkeypatch.setenv("JUDGE0_CE_AUTH_HEADERS", json.dumps({"X-Auth-Token": key}))
    monkeypatch.setattr(judge0, "JUDGE0_IMPLICIT_CE_CLIENT", None)
    return judge0


def languages(server) -> dict[int, str]:
    listed = requests.get(f"{server.url}/judge0/languages", timeout=10).json()
    return {entry["id"]: entry["name"] for entry in listed}


def test_every_listed_language_says_hello(sdk, server):
    listed = languages(server)
    assert set(listed) == set(OURS)  # every toolchain is installed where the suite runs
    del listed[89]  # a multi-file program is a zip, not a source: test_a_multi_file_program
    submissions = [judge0.Submission(source_code=HELLO[OURS[id_]], language=id_, cpu_time_limit=5) for id_ in listed]
    for language_id, result in zip(listed, sdk.run(submissions=submissions), strict=True):
        assert (result.status, result.stdout) == (judge0.Status.ACCEPTED, "hello, world\n"), listed[language_id]


def test_aliases_resolve_to_the_ids_judge0_ce_uses(sdk, server, key):
    result = sdk.run(source_code=HELLO["cpp"], language=judge0.CPP)  # the SDK's alias table: 52
    assert result.status == judge0.Status.ACCEPTED
    shown = requests.get(
        f"{server.url}/judge0/submissions/{result.token}?fields=language_id,language",
        headers={"X-Auth-Token": key},
        timeout=10,
    ).json()
    assert shown == {"language_id": 52, "language": {"id": 52, "name": languages(server)[52]}}


def test_test_cases_are_accepted_or_wrong(sdk):
    results = sdk.run(
        source_code="print(int(input()) * 2)",
        language=judge0.PYTHON,
        test_cases=[("2", "4"), ("5", "11")],
    )
    assert [result.status for result in results] == [judge0.Status.ACCEPTED, judge0.Status.WRONG_ANSWER]
    assert [result.stdout for result in results] == ["4\n", "10\n"]


def test_a_batch_of_submissions(sdk):
    submissions = [judge0.Submission(source_code=f"print({n} ** 2)", language=judge0.PYTHON) for n in range(5)]
    results = sdk.run(submissions=submissions)
    assert [result.stdout for result in results] == [f"{n**2}\n" for n in range(5)]


def test_compile_error_carries_the_compiler_s_words(sdk):
    result = sdk.run(source_code="int main( { return 0; }", language=judge0.C)
    assert result.status == judge0.Status.COMPILATION_ERROR
    assert "error" in result.compile_output and result.stdout is None


def test_time_limit(sdk):
    result = sdk.run(source_code="while True: pass", language=judge0.PYTHON, cpu_time_limit=0.5)
    assert result.status == judge0.Status.TIME_LIMIT_EXCEEDED


def test_runtime_error_with_its_exit_code(sdk):
    result = sdk.run(source_code="import sys\nprint('bye')\nsys.exit(3)", language=judge0.PYTHON)
    assert (result.status, result.exit_code, result.stdout) == (judge0.Status.RUNTIME_ERROR_NZEC, 3, "bye\n")


def test_unicode_stdin_and_arguments(sdk):
    result = sdk.run(
        source_code="import sys\nprint(input()[::-1], *sys.argv[1:])",
        language=judge0.PYTHON,
        stdin="добрый день ✓",
        command_line_arguments="'two words' x",
    )
    assert result.stdout == "✓ ьнед йырбод two words x\n"


def test_the_submissions_are_the_caller_s_code_tasks(sdk, server, key):
    result = sdk.run(source_code='print("mine")', language=judge0.PYTHON)
    listed = requests.get(f"{server.url}/tasks", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert str(result.token) in [task["task_id"] for task in listed["results"] if task["kind"] == "code"]


def test_a_multi_file_program(sdk):
    files = judge0.Filesystem(
        content=[
            judge0.File(name="compile", content="gcc -o hello src/hello.c"),
            judge0.File(name="run", content="./hello"),
            judge0.File(name="src/hello.c", content='#include <stdio.h>\nint main(void){puts("from a zip");}'),
        ]
    )
    submission = judge0.Submission(source_code="", language=judge0.MULTI_FILE, additional_files=files)
    result = sdk.run(submissions=submission)  # the SDK sends an empty source_code, which Judge0 takes
    assert (result.status, result.stdout) == (judge0.Status.ACCEPTED, "from a zip\n")
