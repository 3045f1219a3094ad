"""Issue 12, photo editor: decode bombs at submit and pipelines without a time limit (real Pillow,
real gunicorn). Anonymous ceilings are set per test; other tests run with roomy ones."""

import base64
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.e2e.conftest import wait_ready
from tests.images import encoded, photo, repeated_scan_jpeg

pytestmark = pytest.mark.e2e


def submit(server, image: bytes, filters: list[dict], *, output: dict | None = None, timeout: float = 10):
    params = {"image": base64.b64encode(image).decode(), "filters": filters, **({"output": output} if output else {})}
    return requests.post(f"{server.url}/task", json={"kind": "image", "params": params}, timeout=timeout)


def errors_of(response) -> dict[str, str]:
    return {error["pointer"]: error["detail"] for error in response.json()["errors"]}


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """81 KB that took 13 s of CPU to check at submit: a 2000x2000 JPEG with one scan x 4,000."""
    return repeated_scan_jpeg(2000, 2000, 4000)


def test_a_jpeg_of_thousands_of_scans_is_refused_at_once(gunicorn, bomb):
    """Item 11: the submit-time check decoded every scan."""
    server = gunicorn()
    started = time.monotonic()
    response = submit(server, bomb, [{"op": "grayscale"}], timeout=5)
    assert response.status_code == 400 and "scans" in errors_of(response)["#/params/image"]
    assert time.monotonic() - started < 2


def test_eight_bombs_at_once_leave_the_service_responsive(gunicorn, bomb):
    """Item 11: eight of them froze /healthz for 30 s."""
    server = gunicorn()
    with ThreadPoolExecutor(8) as pool:
        uploads = [pool.submit(submit, server, bomb, [{"op": "grayscale"}], timeout=30) for _ in range(8)]
        slowest = 0.0
        while not all(upload.done() for upload in uploads):
            started = time.monotonic()
            assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
        assert [upload.result().status_code for upload in uploads] == [400] * 8
    assert slowest < 1.0


def test_the_callers_pixel_ceiling_applies_before_any_decoding(gunicorn):
    """Item 11: the anonymous 4 MP ceiling was applied only after decoding the whole stream."""
    server = gunicorn(QUOTA_ANON_IMAGE_PIXELS="4000000")
    big = encoded(photo(60, 40).resize((3000, 2000)), "JPEG", quality=50)
    response = submit(server, big[: len(big) // 2], [{"op": "grayscale"}])  # truncated: corrupt if decoded
    assert response.status_code == 400
    assert "your quota allows 4,000,000" in errors_of(response)["#/params/image"]


def test_a_pipeline_over_the_cpu_ceiling_is_refused_at_submit(gunicorn):
    """Item 12: 20 x rotate on 40 MP ran for 44 s; now the caller's CPU ceiling is estimated first."""
    server = gunicorn(QUOTA_ANON_IMAGE_PIXELS="40000000", QUOTA_ANON_IMAGE_STEPS="20", QUOTA_ANON_IMAGE_TIME_S="30")
    image = encoded(photo(80, 50).resize((8000, 5000)), "JPEG", quality=30)
    response = submit(server, image, [{"op": "rotate", "degrees": 33, "expand": False}] * 20)
    assert response.status_code == 400, response.text
    assert "your limit is 30 s" in errors_of(response)["#/params/filters"]


def test_a_pipeline_over_the_memory_ceiling_is_refused_at_submit(gunicorn):
    server = gunicorn(QUOTA_ANON_IMAGE_MEMORY_MB="16")
    response = submit(server, encoded(photo(40, 40).resize((2000, 2000))), [{"op": "blur"}])
    assert response.status_code == 400
    assert "your limit is 16 MB" in errors_of(response)["#/params/filters"]


def test_a_pipeline_within_its_ceilings_runs(gunicorn):
    server = gunicorn(QUOTA_ANON_IMAGE_TIME_S="5", QUOTA_ANON_IMAGE_PIXELS="4000000")
    response = submit(server, encoded(photo(40, 30).resize((1200, 900)), "JPEG"), [{"op": "blur"}, {"op": "sepia"}])
    assert response.status_code == 201, response.text
    assert wait_ready(requests.Session(), server.url, response.json()["task_id"])["status"] == "ready"
