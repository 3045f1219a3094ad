"""The code runner through the API: each language's basics, verdicts, and input validation."""

import base64
import subprocess

import pytest

from kinds.code import kind as code
from kinds.code.languages import LANGUAGES, available
from tests.programs import PROGRAMS
from tests.support import assert_problem

# The languages installed here (every one, in CI: scripts/prepare-test-machine installs them).
INSTALLED = [language.name for language in available()]


def having(program: str) -> list[str]:
    return [name for name in INSTALLED if program in PROGRAMS.get(name, {})]


@pytest.fixture
def run_code(api, wait_status):
    def run_code(language, source, **params):
        response = api.post(
            "/task", {"kind": "code", "params": {"language": language, "source": source, **params}}, format="json"
        )
        assert response.status_code == 201, response.content
        task_id = response.json()["task_id"]
        wait_status(task_id, "ready", timeout=120)  # kotlinc alone takes seconds of CPU
        return api.get(f"/result/{task_id}").json()["result"]

    return run_code


def test_every_language_has_programs_and_every_toolchain_is_installed():
    assert set(PROGRAMS) == set(LANGUAGES) and all("hello" in programs for programs in PROGRAMS.values())
    assert list(LANGUAGES) == INSTALLED, "scripts/prepare-test-machine installs every toolchain"


@pytest.mark.parametrize("language", INSTALLED)
def test_hello_world(run_code, language):
    result = run_code(language, PROGRAMS[language]["hello"])
    assert result["verdict"] == "ok" and result["run"]["stdout"] == "hello, world\n", result
    assert result["run"]["exit_code"] == 0 and result["run"]["time_s"] >= 0 and result["run"]["memory_kb"] > 0
    assert (result["compile"] is not None) == (LANGUAGES[language].compile is not None)


@pytest.mark.parametrize("language", having("echo"))
def test_stdin_echo(run_code, language):
    result = run_code(language, PROGRAMS[language]["echo"], stdin="shout this\n")
    assert result["run"]["stdout"] == "SHOUT THIS\n", result


@pytest.mark.parametrize("language", having("fail"))
def test_runtime_error_keeps_the_exit_code(run_code, language):
    result = run_code(language, PROGRAMS[language]["fail"])
    assert result["verdict"] == "runtime_error" and result["run"]["exit_code"] == 3, result


@pytest.mark.parametrize("language", having("broken"))
def test_compile_error_is_readable(run_code, language):
    result = run_code(language, PROGRAMS[language]["broken"])
    assert result["verdict"] == "compile_error" and result["run"] is None, result
    output = (result["compile"]["stdout"] + result["compile"]["stderr"]).lower()
    assert "error" in output and result["compile"]["exit_code"] != 0


def test_expected_output_gives_accepted_or_wrong_answer(run_code):
    assert run_code("python", 'print("42")  ', expected_output="42\n\n")["verdict"] == "accepted"
    assert run_code("python", 'print("41")', expected_output="42")["verdict"] == "wrong_answer"


def test_files_sit_beside_the_source(run_code):
    header = {"name": "include/answer.h", "content": "#define ANSWER 42\n"}
    data = {"name": "data.bin", "content": "AAEC", "encoding": "base64"}
    source = '#include <stdio.h>\n#include "include/answer.h"\nint main(void){FILE *f = fopen("data.bin", "rb");'
    source += 'printf("%d %ld\\n", ANSWER, fread((char[8]){0}, 1, 8, f)); return 0;}'
    result = run_code("c", source, files=[header, data])
    assert result["verdict"] == "ok" and result["run"]["stdout"] == "42 3\n", result


def test_a_multifile_program_compiles_with_its_script_and_runs_with_run(run_code):
    files = [
        {"name": "compile", "content": "gcc -O2 -o hello src/main.c src/greet.c"},
        {"name": "src/main.c", "content": 'void greet(const char *);\nint main(void){greet("files");return 0;}'},
        {"name": "src/greet.c", "content": '#include <stdio.h>\nvoid greet(const char *w){printf("hi %s\\n", w);}'},
    ]
    result = run_code("multifile", "./hello", files=files, tests=[{"stdin": "", "expected_output": "hi files"}] * 2)
    assert result["verdict"] == "accepted" and [case["stdout"] for case in result["tests"]] == ["hi files\n"] * 2


def test_an_executable_runs_as_sent(run_code, tmp_path):
    source = tmp_path / "hello.c"
    source.write_text('#include <stdio.h>\nint main(int argc, char **argv){printf("elf %s\\n", argv[1]);}')
    subprocess.run(["gcc", "-O2", "-o", tmp_path / "hello", source], check=True)
    binary = base64.b64encode((tmp_path / "hello").read_bytes()).decode()
    result = run_code("executable", binary, source_encoding="base64", args=["binary"])
    assert result["verdict"] == "ok" and result["run"]["stdout"] == "elf binary\n", result


def test_args_reach_the_program(run_code):
    result = run_code("python", "import sys; print(sys.argv[1:])", args=["a b", "c"])
    assert result["run"]["stdout"] == "['a b', 'c']\n"


THREADS = """
import threading
threading.stack_size(256 * 1024)  # 24 threads of 8 MB stacks would not fit the address space
threads = [threading.Thread(target=threading.Event().wait, args=(1,)) for _ in range(24)]
try:
    for thread in threads:
        thread.start()
    print("started all")
except RuntimeError as exc:
    print("refused:", exc)
"""


def test_a_run_s_processes_are_capped_by_its_language_unless_the_caller_sets_them(run_code):
    assert code.LANGUAGES["python"].processes < 24 < code.LANGUAGES["java"].processes
    assert run_code("python", THREADS)["run"]["stdout"].startswith("refused: can't start new thread")
    assert run_code("python", THREADS, limits={"processes": 32})["run"]["stdout"] == "started all\n"


def test_the_wall_clock_limit_can_be_set_apart_from_the_cpu_limit(run_code):
    result = run_code("python", "import time; time.sleep(5)", limits={"time_s": 2, "wall_s": 0.5})
    assert result["verdict"] == "time_limit_exceeded" and result["run"]["wall_s"] < 3, result


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"language": "swift", "source": "x"}, "#/params/language"),
        ({"language": "python"}, "#/params/source"),
        ({"language": "python", "source": 5}, "#/params/source"),
        ({"language": "python", "source": "x" * 70_000}, "#/params/source"),
        ({"language": "python", "source": "x", "limits": {"time_s": 11}}, "#/params/limits/time_s"),
        ({"language": "python", "source": "x", "limits": {"memory_mb": 4096}}, "#/params/limits/memory_mb"),
        ({"language": "python", "source": "x", "limits": {"output_kb": 10**6}}, "#/params/limits/output_kb"),
        ({"language": "python", "source": "x", "limits": {"cpu": 1}}, "#/params/limits/cpu"),
        ({"language": "python", "source": "x", "limits": {"processes": 65}}, "#/params/limits/processes"),
        ({"language": "python", "source": "x", "limits": {"wall_s": 22}}, "#/params/limits/wall_s"),
        ({"language": "python", "source": "x", "args": "a b"}, "#/params/args"),
        ({"language": "python", "source": "x", "files": [{"name": "../up", "content": ""}]}, "#/params/files/0/name"),
        ({"language": "python", "source": "x", "files": [{"name": "main.py", "content": ""}]}, "#/params/files"),
        (
            {"language": "c", "source": "x", "files": [{"name": "a", "content": "!", "encoding": "base64"}]},
            "#/params/files/0/content",
        ),
        ({"language": "executable", "source": "!", "source_encoding": "base64"}, "#/params/source"),
    ],
    ids=[
        "unknown-language",
        "no-source",
        "source-not-text",
        "huge-source",
        "time-over-max",
        "memory-over-max",
        "output-over-max",
        "unknown-limit",
        "processes-over-max",
        "wall-over-max",
        "args-not-list",
        "file-outside-work",
        "file-over-the-source",
        "file-not-base64",
        "source-not-base64",
    ],
)
def test_bad_submissions_are_400_naming_the_field(api, params, pointer):
    body = assert_problem(api.post("/task", {"kind": "code", "params": params}, format="json"), 400, "invalid-params")
    assert pointer in [error["pointer"] for error in body["errors"]]


def test_no_sandbox_means_503_at_submit(api, monkeypatch):
    monkeypatch.setattr("sandbox.runner.BWRAP", "/nonexistent/bwrap")
    code.sandbox_ready.cache_clear()
    code.sandbox.cache_clear()
    try:
        body = assert_problem(
            api.post("/task", {"kind": "code", "params": {"language": "python", "source": "print(1)"}}, format="json"),
            503,
            "kind-unavailable",
        )
        assert "bwrap" in body["detail"]
        assert api.get("/readyz").json()["checks"]["sandbox"].startswith("unavailable: /nonexistent/bwrap")
    finally:
        code.sandbox_ready.cache_clear()
        code.sandbox.cache_clear()


def test_runtimes_that_need_a_cgroup_are_not_offered_without_one(api, monkeypatch):
    class RlimitsOnly:
        bounds_tree_memory = False
        isolation = "rlimits only: the service is not root"

        def check(self) -> None:
            """Programs run (without cgroups)."""

    monkeypatch.setattr(code, "sandbox", RlimitsOnly)
    code.sandbox_ready.cache_clear()
    monkeypatch.setattr(code, "sandbox_ready", code.sandbox_ready.__wrapped__)
    names = {item["name"] for item in api.get("/languages").json()}
    assert {"python", "c"} <= names and not {"java", "go", "javascript"} & names
    body = {"kind": "code", "params": {"language": "java", "source": "class Main {}"}}
    assert_problem(api.post("/task", body, format="json"), 400, "invalid-params")
    assert 62 not in {item["id"] for item in api.get("/judge0/languages").json()}


def test_languages_lists_what_this_host_runs(api):
    languages = {item["name"]: item for item in api.get("/languages").json()}
    assert list(languages) == INSTALLED
    assert languages["c"]["compile_command"].startswith("/usr/bin/gcc") and languages["c"]["source_file"] == "main.c"
    assert languages["python"]["compile_command"] is None and "Python 3" in languages["python"]["version"]


TESTS_SOURCES = {
    "python": "import sys\nprint(sum(map(int, sys.stdin.read().split())))",
    "c": '#include <stdio.h>\nint main(void){long a,b; if(scanf("%ld %ld",&a,&b)!=2)return 1; printf("%ld\\n",a+b);}',
}


@pytest.mark.parametrize("language", TESTS_SOURCES)
def test_test_cases_compile_once_and_judge_each_case(run_code, language):
    tests = [
        {"name": "small", "stdin": "2 40", "expected_output": "42"},
        {"stdin": "1 1", "expected_output": "3"},
        {"stdin": "5 5", "expected_output": "10\n"},
    ]
    result = run_code(language, TESTS_SOURCES[language], tests=tests)
    assert result["verdict"] == "wrong_answer" and result["run"] is None
    assert [case["verdict"] for case in result["tests"]] == ["accepted", "wrong_answer", "accepted"]
    assert [case["name"] for case in result["tests"]] == ["small", "test 2", "test 3"]
    assert result["tests"][1]["stdout"] == "2\n" and all(case["memory_kb"] for case in result["tests"])
    assert (result["compile"] is not None) == (language == "c")


def test_each_test_case_runs_in_a_fresh_workspace(run_code):
    """A file the first case writes into /work is gone for the second."""
    source = "import os\nprint(os.path.exists('left-behind'))\nopen('left-behind', 'w').write('x')"
    tests = [{"expected_output": "False"}, {"expected_output": "False"}]
    result = run_code("python", source, tests=tests)
    assert [case["verdict"] for case in result["tests"]] == ["accepted", "accepted"], result["tests"]


def test_runs_repeat_the_program_in_fresh_workspaces_and_report_the_means(run_code):
    """Judge0's number_of_runs: each run starts clean; time and memory are the runs' means."""
    source = "import os\nprint(os.path.exists('left-behind'))\nopen('left-behind', 'w').write('x')"
    result = run_code("python", source, runs=3, expected_output="False")
    assert result["verdict"] == "accepted" and result["run"]["runs"] == 3, result
    assert result["run"]["time_s"] >= 0 and result["run"]["memory_kb"] > 0 and result["run"]["wall_s"] > 0


def test_runs_stop_at_the_first_that_does_not_finish_well(run_code):
    result = run_code("python", "import sys\nprint('once')\nsys.exit(3)", runs=5)
    assert result["verdict"] == "runtime_error" and result["run"]["runs"] == 1, result
    assert result["run"]["exit_code"] == 3 and result["run"]["stdout"] == "once\n"


def test_runs_are_bounded_counted_against_the_budget_and_not_with_tests(api, settings):
    settings.CODE_MAX_RUNS = 4
    settings.QUOTA_ANON_CODE_TASK_S = 10

    def refused(**params):
        body = {"kind": "code", "params": {"language": "python", "source": "print(1)", **params}}
        problem = assert_problem(api.post("/task", body, format="json"), 400, "invalid-params")
        return problem["errors"][0]["pointer"]

    assert refused(runs=5) == "#/params/runs"
    assert refused(runs=2, tests=[{"expected_output": "1"}]) == "#/params/runs"
    assert refused(runs=4, limits={"time_s": 3}) == "#/params/runs"  # 12 s of CPU against a 10 s task


def test_test_cases_are_bounded_and_exclusive_with_top_level_stdin(api, settings):
    settings.CODE_MAX_TESTS = 2
    body = {"language": "python", "source": "print(1)", "tests": [{"expected_output": "1"}] * 3}
    problem = assert_problem(api.post("/task", {"kind": "code", "params": body}, format="json"), 400, "invalid-params")
    assert problem["errors"][0]["pointer"] == "#/params/tests"
    body = {"language": "python", "source": "print(1)", "stdin": "x", "tests": [{"expected_output": "1"}]}
    assert_problem(api.post("/task", {"kind": "code", "params": body}, format="json"), 400, "invalid-params")
    body = {"language": "python", "source": "print(1)", "tests": [{"stdin": "no expected output"}]}
    problem = assert_problem(api.post("/task", {"kind": "code", "params": body}, format="json"), 400, "invalid-params")
    assert problem["errors"][0]["pointer"] == "#/params/tests/0/expected_output"


def test_a_task_that_cannot_finish_within_its_budget_is_refused(api, settings):
    """Issue 25 item 5: 20 cases x (2 x time_s + 1 s) + compile held a worker up to 460 s."""
    settings.QUOTA_ANON_CODE_TASK_S = 30
    body = {
        "language": "python",
        "source": "print(1)",
        "tests": [{"expected_output": "1"}] * 20,
        "limits": {"time_s": 2},
    }
    problem = assert_problem(api.post("/task", {"kind": "code", "params": body}, format="json"), 400, "invalid-params")
    assert problem["errors"][0]["pointer"] == "#/params/tests" and "30 s your quota" in problem["errors"][0]["detail"]
    assert (
        api.post("/task", {"kind": "code", "params": {**body, "limits": {"time_s": 1}}}, format="json").status_code
        == 201
    )
    assert api.get("/me").json()["quotas"]["code"]["max_task_s"] == 30


def test_the_schema_states_how_many_test_cases(api, settings):
    settings.CODE_MAX_TESTS = 7
    schema = api.get("/api/schema/?format=json").json()
    assert schema["components"]["schemas"]["CodeParamsRequest"]["properties"]["tests"]["maxItems"] == 7


def test_the_budget_cuts_the_whole_task_short(run_code, settings):
    """Each run gets what is left of the task's budget; cases past it are not run."""
    settings.QUOTA_ANON_CODE_TASK_S = 2
    source = "import time\nwhile True: pass"
    result = run_code("python", source, tests=[{"expected_output": ""}] * 2, limits={"time_s": 1})
    first, second = result["tests"]
    assert first["verdict"] == "time_limit_exceeded" and first["wall_s"] < 2.5, first
    assert second["verdict"] == "time_limit_exceeded", second
    assert result["verdict"] == "time_limit_exceeded"
