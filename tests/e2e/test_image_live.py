"""The photo editor through real gunicorn: upload, poll, download, open with Pillow."""

import io
import json

import pytest
import requests
from PIL import Image

from tests.e2e.conftest import wait_ready
from tests.images import encoded, photo

pytestmark = pytest.mark.e2e


def test_upload_poll_download(service):
    http = requests.Session()
    steps = [{"op": "resize", "width": 100}, {"op": "grayscale"}]
    files = {"image": ("photo.jpg", encoded(photo(400, 300), "JPEG"), "image/jpeg")}
    form = {"kind": "image", "filters": json.dumps(steps), "output": json.dumps({"format": "webp"})}
    response = http.post(f"{service.url}/task", data=form, files=files, timeout=10)
    assert response.status_code == 201, response.text
    status = wait_ready(http, service.url, response.json()["task_id"])
    assert status["status"] == "ready" and status["result"]["content_type"] == "image/webp"
    result = http.get(f"{service.url}/result/{status['task_id']}", timeout=10)
    assert result.headers["Content-Type"] == "image/webp"
    image = Image.open(io.BytesIO(result.content))
    assert image.format == "WEBP" and image.size == (100, 75)
    # lossy WebP stores YUV 4:2:0, so grey may come back a level or two off
    assert all(max(r, g, b) - min(r, g, b) <= 3 for r, g, b in image.convert("RGB").get_flattened_data())


def test_oversized_upload_is_refused_before_it_is_read(gunicorn):
    server = gunicorn(IMAGE_MAX_BYTES="100000", REQUEST_MAX_BYTES="200000")
    body = b"x" * 5_000_000
    response = requests.post(
        f"{server.url}/task",
        data=body,
        headers={"Content-Type": "multipart/form-data; boundary=zzz"},
        timeout=10,
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
