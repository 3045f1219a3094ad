"""Issue 14 (items 2-5 and 7): odd and hostile HTTP input against a real gunicorn, on both stores:
never a 500, never a body silently dropped, nothing poisoned."""

import base64
import io
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import requests
from PIL import Image

from tests.e2e.conftest import wait_ready

pytestmark = pytest.mark.e2e

PROBLEM = "application/problem+json"


def post_raw(url: str, path: str, body: bytes) -> requests.Response:
    return requests.post(f"{url}{path}", data=body, headers={"Content-Type": "application/json"}, timeout=30)


def test_a_chunked_body_is_refused_not_dropped(service):
    """Item 2: a chunked code body was read as empty and ran the demo sleep task (201)."""
    body = json.dumps({"kind": "code", "params": {"language": "python", "source": "print(1)"}}).encode()
    response = requests.post(f"{service.url}/task", data=iter([body]), headers={"Content-Type": "application/json"})
    assert response.request.headers["Transfer-Encoding"] == "chunked"
    assert response.status_code == 411 and response.headers["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith(":length-required")


def test_json_bodies_up_to_the_documented_limit_are_read(service):
    """Item 3: JSON over Django's 2.5 MiB default was refused, though REQUEST_MAX_BYTES is 28 MiB."""
    noise = Image.effect_noise((1100, 1100), 80).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    body = json.dumps(
        {
            "kind": "image",
            "params": {"image": base64.b64encode(buffer.getvalue()).decode(), "filters": [{"op": "grayscale"}]},
        }
    ).encode()
    assert len(body) > 3 * 1024 * 1024
    response = post_raw(service.url, "/task", body)
    assert response.status_code == 201, response.text[:300]
    assert wait_ready(requests.Session(), service.url, response.json()["task_id"])["status"] == "ready"


@pytest.mark.parametrize("text", ["\\ud800", "a\\udfffb", "nul\\u0000inside"])
def test_unstorable_record_text_is_400_and_nothing_is_poisoned(service, text):
    """Item 4: `[{"text": "\\ud800"}]` answered 500 and was stored; then every read was a 500."""
    response = post_raw(service.url, "/new", f'[{{"text": "{text}"}}]'.encode())
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM, response.text
    assert requests.get(f"{service.url}/10", timeout=10).status_code == 200
    assert requests.get(f"{service.url}/all", timeout=10).status_code == 200


def test_a_surrogate_pair_is_valid_text(service):
    response = post_raw(service.url, "/new", b'{"text": "\\ud83d\\ude00 fine"}')
    assert response.status_code == 201 and response.json()["text"] == "\U0001f600 fine"


@pytest.mark.parametrize("path", ["/task", "/new"])
def test_deeply_nested_json_is_400(service, path):
    """Item 5: 100,000-deep JSON raised RecursionError: a 500."""
    response = post_raw(service.url, path, b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


def test_a_count_of_5000_digits_is_a_4xx(service):
    """Item 5: int() of 5,000 digits hit Python's conversion limit: a 500."""
    response = requests.get(f"{service.url}/{'9' * 5000}", timeout=10)
    assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM


def test_a_lone_surrogate_as_a_key_is_400(service):
    """Item 5: `{"\\ud800": 1}` to /task was a 500."""
    response = post_raw(service.url, "/task", b'{"\\ud800": 1}')
    assert response.status_code == 400 and "lone surrogate" in response.json()["detail"]


def test_concurrent_first_requests_for_kinds_all_succeed(gunicorn):
    """Item 5: 30 concurrent first GET /kinds on a fresh server gave 8 x 500 (a lazy-init race)."""
    server = gunicorn()
    with ThreadPoolExecutor(30) as pool:
        statuses = list(pool.map(lambda _: requests.get(f"{server.url}/kinds", timeout=60).status_code, range(30)))
    assert statuses == [200] * 30


@pytest.mark.parametrize(
    "body", [b"--zz--\r\n", b'--zz\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--zz--\r\n']
)
def test_a_multipart_body_must_name_its_kind(service, body):
    """Item 7: a multipart POST /task with no parts submitted the demo task (201)."""
    headers = {"Content-Type": "multipart/form-data; boundary=zz"}
    response = requests.post(f"{service.url}/task", data=body, headers=headers, timeout=10)
    assert response.status_code == 400 and "#/kind" in {error["pointer"] for error in response.json()["errors"]}


def test_exif_a_jpeg_cannot_hold_is_refused_at_submit(service):
    """Item 5: a PNG with a huge EXIF block and keep_metadata was accepted, then failed at encoding."""
    exif = Image.Exif()
    exif[0x010E] = "x" * 100_000  # ImageDescription: 100 KB, past JPEG's 64 KB APP1 segment
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(buffer, "PNG", exif=exif.tobytes())
    params = {
        "image": base64.b64encode(buffer.getvalue()).decode(),
        "filters": [{"op": "grayscale"}],
        "output": {"format": "jpeg", "keep_metadata": True},
    }
    response = requests.post(f"{service.url}/task", json={"kind": "image", "params": params}, timeout=30)
    assert response.status_code == 400, response.text
    assert "#/params/output/keep_metadata" in {error["pointer"] for error in response.json()["errors"]}
    params["output"]["format"] = "png"  # PNG keeps it
    response = requests.post(f"{service.url}/task", json={"kind": "image", "params": params}, timeout=30)
    assert wait_ready(requests.Session(), service.url, response.json()["task_id"])["status"] == "ready"


def served_schema(url: str) -> dict:
    return requests.get(f"{url}/api/schema/?format=json", timeout=30).json()


def parameter_schema(schema: dict, path: str, method: str, name: str) -> dict:
    return next(p["schema"] for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


def is_valid(value, schema: dict) -> bool:
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).is_valid(value)


def test_the_schema_and_the_code_agree_on_cursors(service):
    """Item 7: `GET /tasks?cursor=0` was valid by the schema (any string) but refused."""
    name = f"cursor-{uuid.uuid4().hex[:8]}"
    requests.post(f"{service.url}/register", json={"username": name, "password": "long enough pw"}, timeout=30)
    token = requests.post(f"{service.url}/login", json={"username": name, "password": "long enough pw"}, timeout=30)
    headers = {"Authorization": f"Bearer {token.json()['token']}"}
    cursor = parameter_schema(served_schema(service.url), "/tasks", "get", "cursor")
    for _ in range(3):
        requests.post(f"{service.url}/task", json={"kind": "sleep", "params": {"seconds": 0}}, headers=headers)
    first = requests.get(f"{service.url}/tasks?limit=2", headers=headers, timeout=10).json()
    issued = parse_qs(urlsplit(first["next"]).query)["cursor"][0]
    made_up = f"{'9' * 16}-{uuid.uuid4().hex}"  # any position the pattern allows is a position
    for value in (issued, made_up):
        assert is_valid(value, cursor)
        response = requests.get(f"{service.url}/tasks", params={"cursor": value}, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
    assert len(requests.get(f"{service.url}/tasks", params={"cursor": made_up}, headers=headers).json()["results"]) == 3
    for value in ("0", "zzz", issued.upper()):
        assert not is_valid(value, cursor)
        response = requests.get(f"{service.url}/tasks", params={"cursor": value}, headers=headers, timeout=10)
        assert response.status_code == 400 and response.headers["Content-Type"] == PROBLEM


def test_the_schema_and_the_code_agree_on_record_keys(service):
    """Item 7: `GET /999999999999999999999999999999` was valid by the schema (any string) but refused."""
    schema = served_schema(service.url)
    get_key, delete_key = (parameter_schema(schema, "/{key}", method, "key") for method in ("get", "delete"))
    assert not is_valid(10**29, get_key) and not is_valid("9" * 30, get_key)
    assert requests.get(f"{service.url}/{'9' * 30}", timeout=10).status_code == 400
    assert is_valid(10_000, get_key) and requests.get(f"{service.url}/10000", timeout=10).status_code == 200
    assert is_valid(str(uuid.uuid4()), get_key) and is_valid(str(uuid.uuid4()), delete_key)
    assert not is_valid(5, delete_key)
    assert requests.delete(f"{service.url}/5", timeout=10).status_code == 404
    new = schema["paths"]["/new"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert not is_valid([], new) and post_raw(service.url, "/new", b"[]").status_code == 400


def test_the_schema_and_the_code_agree_on_multipart_fields(service):
    """Item 7: a multipart `output=00` was valid by the schema (any string) but refused."""
    schema = served_schema(service.url)
    upload = schema["paths"]["/task"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["encoding"]["output"]["contentType"] == "application/json"
    output = schema["components"]["schemas"]["ImageUploadRequest"]["properties"]["output"]
    output = {**output, "components": schema["components"]}  # its $ref resolves against this root
    assert not is_valid("00", output) and is_valid({"format": "png"}, output)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    files = {"image": ("a.png", buffer.getvalue(), "image/png")}
    url = f"{service.url}/task"
    refused = requests.post(url, data={"kind": "image", "filters": "[]", "output": "00"}, files=files, timeout=30)
    assert refused.status_code == 400
    # Swagger UI (and schemathesis) send an array one item per part; one part with the array works too.
    steps = [json.dumps({"op": "grayscale"}), json.dumps({"op": "rotate", "degrees": 90})]
    for filters in (steps, json.dumps([{"op": "grayscale"}])):
        form = {"kind": "image", "filters": filters, "output": json.dumps({"format": "png"})}
        response = requests.post(url, data=form, files=files, timeout=30)
        assert response.status_code == 201, response.text
        assert wait_ready(requests.Session(), service.url, response.json()["task_id"])["status"] == "ready"
