"""The Judge0 CE 1.13.1 API through DRF's test client: Judge0's shapes, its errors, and that each
submission is a code task of the caller's."""

import base64
import io
import subprocess
import zipfile

import pytest
from rest_framework.test import APIClient

from tests.receiver import receiver
from tests.support import assert_problem, wait_for

PYTHON, C, CPP = 71, 50, 54


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def keyed(issue_key):
    def keyed(username="alice"):
        client = APIClient()
        client.key = issue_key(username)
        client.credentials(HTTP_X_AUTH_TOKEN=client.key)
        return client

    return keyed


def submit(api, body, query="wait=true"):
    return api.post(f"/judge0/submissions?{query}", body, format="json")


def finished(client, token):
    """Poll as Judge0's clients do, until the submission is past In Queue and Processing."""
    url = f"/judge0/submissions/{token}?fields=status"
    wait_for(lambda: client.get(url).json()["status"]["id"] > 2, timeout=30, what=f"submission {token} to finish")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_about_statuses_and_languages(api):
    assert api.get("/judge0/about").json()["version"] == "1.13.1"
    statuses = api.get("/judge0/statuses").json()
    assert [s["id"] for s in statuses] == list(range(1, 15)) and statuses[2] == {"id": 3, "description": "Accepted"}
    listed = {entry["id"]: entry["name"] for entry in api.get("/judge0/languages").json()}
    assert {46, 50, 52, 71} <= set(listed) and listed[71].startswith("Python (3.")
    assert 48 not in listed  # an older GCC's id is accepted, listed once under Judge0's own
    older = api.get("/judge0/languages/48").json()
    assert older["compile_cmd"].startswith("/usr/bin/gcc") and older["source_file"] == "main.c"
    assert api.get("/judge0/languages/999").status_code == 404


def test_config_info_tells_the_truth_about_what_is_off(api, settings):
    config = api.get("/judge0/config_info").json()
    assert config["max_cpu_time_limit"] == settings.CODE_MAX_TIME_S
    assert config["max_memory_limit"] == settings.CODE_MAX_MEMORY_MB * 1024
    assert config["enable_callbacks"] and config["callbacks_max_tries"] == settings.WEBHOOK_MAX_ATTEMPTS
    assert not config["allow_enable_network"]
    assert config["max_submission_batch_size"] == 20


def test_submit_without_wait_answers_the_token_then_the_submission_is_shown(api):
    response = submit(api, {"source_code": "print(input().upper())", "language_id": PYTHON, "stdin": "hi"}, "")
    assert response.status_code == 201 and set(response.json()) == {"token"}
    token = response.json()["token"]
    finished(api, token)
    shown = api.get(f"/judge0/submissions/{token}").json()
    assert set(shown) == {"token", "time", "memory", "stdout", "stderr", "compile_output", "message", "status"}
    assert shown["stdout"] == "HI\n" and shown["status"] == {"id": 3, "description": "Accepted"}
    assert float(shown["time"]) >= 0 and shown["memory"] > 0
    everything = api.get(f"/judge0/submissions/{token}?fields=*").json()
    assert everything["language"]["id"] == PYTHON and everything["stdin"] == "hi"
    assert everything["created_at"].endswith("Z") and everything["finished_at"].endswith("Z")
    assert api.get(f"/judge0/submissions/{token}?fields=stdout,status_id").json() == {"stdout": "HI\n", "status_id": 3}


def test_base64_in_and_out(api):
    body = {"source_code": b64("print(input())"), "language_id": PYTHON, "stdin": b64("é ✓")}
    shown = submit(api, body, "wait=true&base64_encoded=true").json()
    assert base64.b64decode(shown["stdout"]).decode() == "é ✓\n"


def test_output_that_is_not_utf8_needs_base64(api):
    body = {"source_code": "import sys; sys.stdout.buffer.write(b'\\xff\\xfe')", "language_id": PYTHON}
    response = submit(api, body)
    assert response.status_code == 201 and "base64_encoded=true" in response.json()["error"]
    token = response.json()["token"]
    assert api.get(f"/judge0/submissions/{token}").status_code == 400
    shown = api.get(f"/judge0/submissions/{token}?base64_encoded=true").json()
    assert base64.b64decode(shown["stdout"]) == b"\xff\xfe"


@pytest.mark.parametrize(
    ("source", "language", "status", "exit_signal"),
    [
        ("int main(void){ return x; }", C, 6, None),
        ("int main(void){ int *p = 0; return *p; }", C, 7, 11),
        ("#include <stdlib.h>\nint main(void){ abort(); }", C, 10, 6),
        ("int main(int argc, char **argv){ volatile int z = argc - 1; return 7 / z; }", C, 9, 8),
        ("import sys; sys.exit(4)", PYTHON, 11, None),
        ("while True: pass", PYTHON, 5, 24),  # SIGXCPU, the CPU limit's signal
    ],
)
def test_statuses_by_what_the_program_did(api, source, language, status, exit_signal):
    shown = submit(api, {"source_code": source, "language_id": language, "cpu_time_limit": 0.5}, "wait=true&fields=*")
    body = shown.json()
    assert body["status"]["id"] == status, body
    assert body["exit_signal"] == exit_signal
    if status == 6:
        assert "error" in body["compile_output"] and body["stdout"] is None
    if status == 11:
        assert body["exit_code"] == 4 and body["message"] == "Exited with error status 4"


def test_expected_output_is_compared_as_judge0_compares(api):
    body = {"source_code": "print('a  ')\nprint()\n", "language_id": PYTHON, "expected_output": "a"}
    assert submit(api, body).json()["status"]["id"] == 3
    assert submit(api, {**body, "expected_output": "b"}).json()["status"]["id"] == 4


def test_compiler_options_reach_the_compiler(api):
    source = "#include <stdio.h>\nint main(void){puts(GREETING);}"
    body = {"source_code": source, "language_id": C, "compiler_options": "-DGREETING='\"hi there\"' -Wall"}
    shown = submit(api, body, "wait=true&fields=stdout,compiler_options").json()
    assert shown == {"stdout": "hi there\n", "compiler_options": "'-DGREETING=\"hi there\"' -Wall"}
    refused = submit(api, {"source_code": "print(1)", "language_id": PYTHON, "compiler_options": "-O"})
    assert refused.json() == {"compiler_options": ["setting compiler options is only allowed for compiled languages"]}


def test_stderr_can_be_merged_into_stdout_in_order(api):
    source = "import sys\nfor n in range(3):\n    print(n, flush=True); print('e', n, file=sys.stderr, flush=True)"
    shown = submit(api, {"source_code": source, "language_id": PYTHON, "redirect_stderr_to_stdout": True}).json()
    assert (shown["stdout"], shown["stderr"]) == ("0\ne 0\n1\ne 1\n2\ne 2\n", None)


def test_limits_map_onto_the_run(api):
    body = {"source_code": "print(1)", "language_id": PYTHON, "cpu_time_limit": 1.5, "memory_limit": 65536}
    shown = submit(api, body, "wait=true&fields=cpu_time_limit,memory_limit,wall_time_limit").json()
    assert shown == {"cpu_time_limit": "1.5", "memory_limit": 65536, "wall_time_limit": "4.0"}
    threads = "from threading import *\nfor _ in range(2):\n    Thread(target=Event().wait, daemon=True).start()"
    body = {"source_code": threads, "language_id": PYTHON, "max_processes_and_or_threads": 2}
    shown = submit(api, body, "wait=true&fields=status,max_processes_and_or_threads,stderr").json()
    assert shown["status"]["id"] == 11 and "can't start new thread" in shown["stderr"], shown
    assert shown["max_processes_and_or_threads"] == 2
    body = {"source_code": "import time; time.sleep(3)", "language_id": PYTHON, "wall_time_limit": 1}
    shown = submit(api, body, "wait=true&fields=status,wall_time_limit,wall_time").json()
    assert shown["status"]["id"] == 5 and shown["wall_time_limit"] == "1.0" and float(shown["wall_time"]) < 2.5
    default = submit(api, {"source_code": "1", "language_id": PYTHON}, "wait=true&fields=max_processes_and_or_threads")
    assert default.json() == {"max_processes_and_or_threads": 16}


def zipped(files: dict[str, str], *, link: str | None = None) -> str:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return base64.b64encode(buffer.getvalue()).decode()


def test_an_executable_is_its_bytes(api, tmp_path):
    source = tmp_path / "hello.c"
    source.write_text('#include <stdio.h>\nint main(void){puts("native");}')
    subprocess.run(["gcc", "-o", tmp_path / "hello", source], check=True)
    binary = base64.b64encode((tmp_path / "hello").read_bytes()).decode()
    body = {"source_code": binary, "language_id": 44}
    shown = submit(api, body, "wait=true&base64_encoded=true&fields=stdout,status,source_code").json()
    assert base64.b64decode(shown["stdout"]) == b"native\n" and shown["status"]["id"] == 3
    assert shown["source_code"] == binary


def test_additional_files_and_a_multi_file_program(api):
    beside = {"source_code": "print(open('data/words.txt').read().upper())", "language_id": PYTHON}
    shown = submit(api, {**beside, "additional_files": zipped({"data/words.txt": "zipped"})}).json()
    assert shown["stdout"] == "ZIPPED\n", shown
    program = zipped(
        {
            "compile": "gcc -o greet main.c",
            "run": './greet "$(cat name)"',
            "main.c": '#include <stdio.h>\nint main(int c, char **v){printf("hi %s\\n", v[1]);}',
            "name": "zip",
        }
    )
    shown = submit(api, {"language_id": 89, "additional_files": program}).json()
    assert (shown["status"]["id"], shown["stdout"]) == (3, "hi zip\n"), shown


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"language_id": 89, "additional_files": zipped({"compile": "true"})}, "needs a `run` script"),
        ({"language_id": 89, "additional_files": "bm90IGEgemlw"}, "is not a base64-encoded zip"),
        ({"language_id": 89, "additional_files": zipped({"../run": "x"})}, "not a plain relative path"),
        ({"language_id": 89, "additional_files": zipped({"run": "x"}, link="data")}, "symbolic link"),
        ({"language_id": 89, "additional_files": zipped({f"f{n}": "" for n in range(65)})}, "more than 64 files"),
        ({"language_id": 89, "additional_files": zipped({"run": "0" * (4 * 2**20 + 1)})}, "unpacks to more than"),
    ],
    ids=["no-run", "not-a-zip", "climbs-out", "symlink", "too-many", "bomb"],
)
def test_hostile_zips_are_refused(api, body, message):
    response = submit(api, body)
    assert response.status_code == 422 and message in response.json()["additional_files"][0], response.json()


def test_number_of_runs_repeats_the_program_and_says_so(api, settings):
    body = {"source_code": "print(7)", "language_id": PYTHON, "number_of_runs": 3}
    shown = submit(api, body, "wait=true&fields=status,stdout,number_of_runs,time,memory").json()
    assert shown["status"]["id"] == 3 and shown["stdout"] == "7\n" and shown["number_of_runs"] == 3, shown
    assert float(shown["time"]) >= 0 and shown["memory"] > 0
    assert api.get("/judge0/config_info").json()["max_number_of_runs"] == settings.CODE_MAX_RUNS
    over = submit(api, {**body, "number_of_runs": settings.CODE_MAX_RUNS + 1})
    assert over.status_code == 422
    assert over.json() == {"number_of_runs": [f"must be less than or equal to {settings.CODE_MAX_RUNS}"]}


def test_invalid_submissions_get_judge0_s_422(api, settings):
    response = submit(
        api,
        {
            "language_id": 999,
            "cpu_time_limit": settings.CODE_MAX_TIME_S + 1,
            "memory_limit": "lots",
            "enable_network": True,
            "callback_url": "https://example.com/hook",
            "command_line_arguments": "'unclosed",
        },
    )
    assert response.status_code == 422
    assert response.json() == {
        "source_code": ["can't be blank"],
        "language_id": ["language with id 999 doesn't exist"],
        "cpu_time_limit": [f"must be less than or equal to {settings.CODE_MAX_TIME_S:g}"],
        "memory_limit": ["is not a number"],
        "command_line_arguments": ["has an unmatched quote"],
        "enable_network": ["this option cannot be enabled"],
    }


def test_a_callback_needs_a_key_and_a_public_address(api, keyed):
    body = {"source_code": "print(1)", "language_id": PYTHON, "callback_url": "https://example.com/hook"}
    anonymous = submit(api, body)
    assert anonymous.status_code == 422 and list(anonymous.json()) == ["callback_url"]
    assert "API key" in anonymous.json()["callback_url"][0]
    private = submit(keyed(), {**body, "callback_url": "http://127.0.0.1:9/hook"})
    assert private.status_code == 422 and list(private.json()) == ["callback_url"]


@pytest.mark.django_db(transaction=True)  # the deliverer's thread reads the owner's secret on its own connection
def test_a_callback_is_judge0_s_put_of_the_submission_signed(keyed, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    client = keyed()
    secret = client.get("/me", HTTP_AUTHORIZATION=f"Bearer {client.key}").json()["webhook_secret"]
    with receiver(secret=secret) as hook:
        body = {"source_code": "print(input())", "language_id": PYTHON, "stdin": "hi", "callback_url": hook.url}
        token = submit(client, body, "wait=false").json()["token"]
        [delivery] = hook.wait_for(1)
    assert delivery["method"] == "PUT" and delivery["headers"]["content-type"] == "application/json"
    assert hook.verified(delivery["headers"], delivery["raw"])
    sent = delivery["body"]
    assert set(sent) == {"stdout", "time", "memory", "stderr", "token", "compile_output", "message", "status"}
    assert sent["token"] == token and sent["status"] == {"id": 3, "description": "Accepted"}
    assert base64.b64decode(sent["stdout"]) == b"hi\n"  # base64, as Judge0's callbacks always are
    shown = client.get(f"/judge0/submissions/{token}?fields=callback_url").json()
    assert shown == {"callback_url": hook.url}


def test_the_code_kind_s_own_refusals_come_back_under_judge0_s_field_names(api, settings):
    settings.CODE_MAX_SOURCE_BYTES = 10
    response = submit(api, {"source_code": "print('far too long')", "language_id": PYTHON})
    assert response.status_code == 422 and list(response.json()) == ["source_code"]


def test_bad_fields_and_bodies(api):
    assert submit(api, {"source_code": "1", "language_id": PYTHON}, "fields=nope,token").json() == {
        "error": "invalid fields: [nope]"
    }
    assert submit(api, ["not", "an", "object"]).status_code == 422
    assert submit(api, {"source_code": "1", "language_id": PYTHON}, "wait=yes").json() == {
        "error": "wait must be true or false, not 'yes'"
    }


def test_a_submission_is_its_caller_s_only(keyed, client_with_key):
    alice, bob = keyed("alice"), keyed("bob")
    token = submit(alice, {"source_code": "print(1)", "language_id": PYTHON}).json()["token"]
    assert bob.get(f"/judge0/submissions/{token}").json() == {"error": "record not found"}
    assert bob.get(f"/judge0/submissions/{token}").status_code == 404
    assert alice.get(f"/judge0/submissions/{token}").status_code == 200
    listed = client_with_key(alice.key).get("/tasks").json()["results"]
    assert [task["task_id"] for task in listed] == [token] and listed[0]["kind"] == "code"


def test_a_bad_token_header_is_refused_as_every_bad_key(api, db):
    api.credentials(HTTP_X_AUTH_TOKEN="tsk_nope_nope")
    assert_problem(api.get("/judge0/languages"), 401)


def test_delete_answers_what_it_was_in_base64(keyed, api):
    alice = keyed()
    token = submit(alice, {"source_code": "print('gone')", "language_id": PYTHON}).json()["token"]
    deleted = alice.delete(f"/judge0/submissions/{token}")
    assert deleted.status_code == 200 and base64.b64decode(deleted.json()["stdout"]) == b"gone\n"
    assert alice.get(f"/judge0/submissions/{token}").status_code == 404


def test_a_running_submission_is_not_deleted(keyed):
    alice = keyed()
    token = submit(alice, {"source_code": "while True: pass", "language_id": PYTHON, "cpu_time_limit": 3}, "").json()
    refused = alice.delete(f"/judge0/submissions/{token['token']}")
    assert refused.status_code == 400 and "cannot be deleted because its status is" in refused.json()["error"]


def test_batches(keyed):
    alice = keyed()
    good = {"source_code": "print(6 * 7)", "language_id": PYTHON}
    made = alice.post("/judge0/submissions/batch", {"submissions": [good, {"language_id": PYTHON}]}, format="json")
    assert made.status_code == 201
    first, second = made.json()
    assert second == {"source_code": ["can't be blank"]}
    finished(alice, first["token"])
    missing = "00000000-0000-4000-8000-000000000000"
    shown = alice.get(f"/judge0/submissions/batch?tokens={first['token']},{missing}&fields=stdout").json()
    assert shown == {"submissions": [{"stdout": "42\n"}, None]}
    too_many = {"submissions": [good] * 21}
    assert alice.post("/judge0/submissions/batch", too_many, format="json").status_code == 400
    assert alice.post("/judge0/submissions/batch", {"submissions": []}, format="json").status_code == 400
    assert alice.get("/judge0/submissions/batch?tokens=").status_code == 400


def test_listing_pages_through_the_caller_s_submissions(keyed, api):
    alice = keyed()
    tokens = [submit(alice, {"source_code": f"print({n})", "language_id": PYTHON}).json()["token"] for n in range(3)]
    first = alice.get("/judge0/submissions?per_page=2&fields=token").json()
    assert [s["token"] for s in first["submissions"]] == tokens[::-1][:2]
    assert first["meta"]["next_page"] == 2 and first["meta"]["prev_page"] is None
    second = alice.get("/judge0/submissions?page=2&per_page=2&fields=token").json()
    assert [s["token"] for s in second["submissions"]] == tokens[:1] and second["meta"]["next_page"] is None
    assert alice.get("/judge0/submissions?page=0").status_code == 400
    assert_problem(api.get("/judge0/submissions"), 401)
