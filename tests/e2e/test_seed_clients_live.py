"""Issue 13: the seeds' own clients, request for request, against a real gunicorn.

The course's acceptance flow registers and logs in first; with anonymous use on it submits a bare
`POST /task`, polls `GET /status/{id}` (only `in_progress` and `ready` are allowed), and wants a
top-level `result` in `GET /result/{id}`; unknown ids are 404. With anonymous use off, it sends
the seed-shaped bodies (`tranlator` + `code`, `filter: {"name": "Negative"}` + `image`) with its
token, and every call without one is 401.
"""

import base64
import io
import time
import uuid

import pytest
import requests
from PIL import Image

from tests.images import encoded, photo

pytestmark = pytest.mark.e2e

PASSWORD = "password228"


def register_and_log_in(url: str) -> str:
    username = f"user_{uuid.uuid4()}"
    created = requests.post(f"{url}/register", json={"username": username, "password": PASSWORD}, timeout=30)
    assert created.status_code == 201, created.text
    assert "password" not in created.json()
    logged_in = requests.post(f"{url}/login", json={"username": username, "password": PASSWORD}, timeout=30)
    assert logged_in.status_code == 200, logged_in.text
    return logged_in.json()["token"]


def poll(session: requests.Session, url: str, task_id: str, timeout: float = 60) -> dict:
    """As the course client polls: any status but in_progress and ready fails it."""
    deadline = time.monotonic() + timeout
    while True:
        response = session.get(f"{url}/status/{task_id}", timeout=10)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] in ("in_progress", "ready"), body
        if body["status"] == "ready":
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def test_the_course_flow_with_anonymous_use(gunicorn):
    server = gunicorn()
    register_and_log_in(server.url)
    session = requests.Session()
    created = session.post(f"{server.url}/task", timeout=10)  # no body, no Content-Type
    assert created.status_code == 201 and uuid.UUID(created.json()["task_id"])
    task_id = created.json()["task_id"]
    poll(session, server.url, task_id)
    result = session.get(f"{server.url}/result/{task_id}", timeout=10)
    assert result.status_code == 200 and result.headers["Content-Type"] == "application/json"
    assert "result" in result.json() and "garbage" in result.json()["result"]
    unknown = uuid.uuid4()
    assert session.get(f"{server.url}/status/{unknown}", timeout=10).status_code == 404
    assert session.get(f"{server.url}/result/{unknown}", timeout=10).status_code == 404


def test_the_course_flow_with_a_token_only(gunicorn):
    server = gunicorn(ALLOW_ANONYMOUS="false")
    token = register_and_log_in(server.url)
    keyed = requests.Session()
    keyed.headers["Authorization"] = f"Bearer {token}"

    code = keyed.post(f"{server.url}/task", json={"tranlator": "python3", "code": "print('Hello, stdout world!')"})
    assert code.status_code == 201, code.text
    poll(keyed, server.url, code.json()["task_id"])
    body = keyed.get(f"{server.url}/result/{code.json()['task_id']}", timeout=10).json()
    assert body["result"]["run"]["stdout"] == "Hello, stdout world!\n"

    png = encoded(photo(16, 12))
    image = keyed.post(
        f"{server.url}/task", json={"filter": {"name": "Negative"}, "image": base64.b64encode(png).decode()}
    )
    assert image.status_code == 201, image.text
    poll(keyed, server.url, image.json()["task_id"])
    as_json = keyed.get(f"{server.url}/result/{image.json()['task_id']}", headers={"Accept": "application/json"})
    result = as_json.json()["result"]
    edited = Image.open(io.BytesIO(base64.b64decode(result["data"])))
    original = Image.open(io.BytesIO(png)).convert("RGB")
    assert edited.getpixel((5, 5)) == tuple(255 - channel for channel in original.getpixel((5, 5)))

    unknown = uuid.uuid4()
    assert keyed.get(f"{server.url}/status/{unknown}", timeout=10).status_code == 404
    assert keyed.get(f"{server.url}/result/{unknown}", timeout=10).status_code == 404
    anonymous = requests.Session()
    task_id = code.json()["task_id"]
    for method, path in (("POST", "/task"), ("GET", f"/status/{task_id}"), ("GET", f"/result/{task_id}")):
        response = anonymous.request(method, f"{server.url}{path}", timeout=10)
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer"), path

    assert keyed.post(f"{server.url}/logout", timeout=10).status_code == 204
    assert keyed.get(f"{server.url}/status/{task_id}", timeout=10).status_code == 401
