"""Issue 13: the seeds' own request shapes: flat code and photo bodies, the `result` envelope,
a bare POST /task. Through DRF's test client, on both stores."""

import base64
import io

import pytest
from PIL import Image

from tests.images import encoded, photo
from tests.support import assert_problem

PNG = base64.b64encode(encoded(photo(8, 6))).decode()


@pytest.fixture
def finish(api, wait_status):
    def finish(response, status="ready"):
        assert response.status_code == 201, response.content
        task_id = response.json()["task_id"]
        wait_status(task_id, status, timeout=30)
        return task_id

    return finish


def test_the_course_example_code_body_runs(api, finish):
    task_id = finish(
        api.post("/task", {"tranlator": "python3", "code": "print('Hello, stdout world!')"}, format="json")
    )
    body = api.get(f"/result/{task_id}").json()
    assert body["task_id"] == task_id and body["kind"] == "code"
    assert body["result"]["verdict"] == "ok" and body["result"]["run"]["stdout"] == "Hello, stdout world!\n"


@pytest.mark.parametrize("key", ["compiler", "translator", "tranlator", "interpreter", "language", "lang"])
@pytest.mark.parametrize(("name", "expected"), [("Python3", "python"), ("gcc", "c"), ("G++", "cpp"), ("sh", "bash")])
def test_every_compiler_key_and_alias(api, finish, key, name, expected):
    sources = {
        "python": "print(7)",
        "c": '#include <stdio.h>\nint main(){puts("7");}',
        "cpp": '#include <iostream>\nint main(){std::cout<<7<<"\\n";}',
        "bash": "echo 7",
    }
    task_id = finish(api.post("/task", {key: name, "code": sources[expected]}, format="json"))
    result = api.get(f"/result/{task_id}").json()["result"]
    assert result["language"] == expected and result["run"]["stdout"] == "7\n"


def test_flat_code_takes_stdin(api, finish):
    task_id = finish(api.post("/task", {"lang": "py", "code": "print(input()[::-1])", "stdin": "olleh"}, format="json"))
    assert api.get(f"/result/{task_id}").json()["result"]["run"]["stdout"] == "hello\n"


@pytest.mark.parametrize("step", [{"name": "Negative"}, "negative", "INVERT", {"op": "Negative"}])
def test_the_course_example_photo_body(api, finish, step):
    task_id = finish(api.post("/task", {"filter": step, "image": PNG}, format="json"))
    raw = api.get(f"/result/{task_id}")
    assert raw["Content-Type"] == "image/png"
    original, inverted = Image.open(io.BytesIO(base64.b64decode(PNG))), Image.open(io.BytesIO(raw.content))
    assert inverted.getpixel((3, 2)) == tuple(255 - channel for channel in original.convert("RGB").getpixel((3, 2)))


def test_flat_photo_with_a_list_of_filters_and_params(api, finish):
    body = {"image": f"data:image/png;base64,{PNG}", "filters": ["Greyscale", {"name": "Rotate", "degrees": 90}]}
    task_id = finish(api.post("/task", body, format="json"))
    assert api.get(f"/status/{task_id}").json()["result"]["meta"]["width"] == 6


def test_a_binary_result_as_json_is_the_same_envelope(api, finish):
    task_id = finish(api.post("/task", {"filter": "Sepia", "image": PNG}, format="json"))
    body = api.get(f"/result/{task_id}", HTTP_ACCEPT="application/json").json()
    assert body["kind"] == "image" and body["result"]["content_type"] == "image/png"
    assert body["result"]["encoding"] == "base64"
    assert Image.open(io.BytesIO(base64.b64decode(body["result"]["data"]))).size == (8, 6)


def test_the_demo_result_keeps_its_garbage_under_result(api, finish):
    task_id = finish(api.post("/task"))  # no body, no Content-Type
    body = api.get(f"/result/{task_id}").json()
    assert body["kind"] == "sleep" and set(body["result"]) == {"slept_seconds", "garbage"}


def test_a_bare_post_without_content_type_is_created(api):
    response = api.generic("POST", "/task", b"")
    assert response.status_code == 201 and response.json()["task_id"]


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"code": "print(1)", "image": PNG}, {"#/code", "#/image"}),
        ({"code": "print(1)"}, {"#/compiler"}),
        ({"code": "print(1)", "lang": "python", "compiler": "gcc"}, {"#/compiler"}),
        ({"code": "print(1)", "lang": "python", "timeout": 3}, {"#/timeout"}),
        ({"image": PNG}, {"#/filter"}),
        ({"image": PNG, "filter": "Negative", "filters": ["Blur"]}, {"#/filter"}),
        ({"image": PNG, "filter": "Negative", "colour": "red"}, {"#/colour"}),
        ({"language": "python", "source": "print(1)"}, {"#/language", "#/source"}),
    ],
    ids=[
        "code-and-image",
        "no-compiler",
        "two-compilers",
        "unknown-code-key",
        "no-filter",
        "filter-and-filters",
        "unknown-photo-key",
        "no-marker",
    ],
)
def test_ambiguous_or_unknown_flat_bodies_are_400_naming_the_keys(api, body, pointers):
    problem = assert_problem(api.post("/task", body, format="json"), 400)
    assert pointers <= {error["pointer"] for error in problem["errors"]}, problem


def test_an_unknown_filter_name_is_400(api):
    problem = assert_problem(api.post("/task", {"image": PNG, "filter": "Vintage"}, format="json"), 400)
    assert any("Unknown op 'Vintage'" in error["detail"] for error in problem["errors"])


def test_filters_lists_the_aliases(api):
    ops = {op["op"]: op for op in api.get("/filters").json()}
    assert "negative" in ops["invert"]["aliases"] and "greyscale" in ops["grayscale"]["aliases"]


def test_multipart_photo_without_a_kind_is_a_flat_photo(api, finish):
    upload = io.BytesIO(encoded(photo(8, 6)))
    upload.name = "photo.png"
    task_id = finish(api.post("/task", {"image": upload, "filter": "Negative"}, format="multipart"))
    assert api.get(f"/status/{task_id}").json()["kind"] == "image"
