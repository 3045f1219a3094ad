"""The records service and its load client through real gunicorn."""

import re
import subprocess
import sys
import threading
import uuid

import pytest
import requests

from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


@pytest.mark.every_store
def test_concurrent_inserts_and_deletes_add_up(service):
    url = service.url
    baseline = len(requests.get(f"{url}/all", timeout=30).json())
    inserted, deleted, statuses = [], [], []
    lock = threading.Lock()

    def inserter():
        with requests.Session() as http:
            for _ in range(20):
                batch = [{"uuid": str(uuid.uuid4()), "text": "x"} for _ in range(25)]
                response = http.post(f"{url}/new", json=batch, timeout=30)
                with lock:
                    statuses.append(response.status_code)
                    if response.status_code == 201:
                        inserted.extend(item["uuid"] for item in batch)

    def deleter():
        with requests.Session() as http:
            for _ in range(40):
                for record in http.get(f"{url}/10", timeout=30).json():
                    response = http.delete(f"{url}/{record['uuid']}", timeout=30)
                    with lock:
                        statuses.append(response.status_code)
                        if response.status_code == 200:
                            deleted.append(record["uuid"])

    threads = [threading.Thread(target=worker) for worker in [inserter] * 4 + [deleter] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {200, 201, 404}, sorted(set(statuses))
    assert len(deleted) == len(set(deleted))  # nothing deleted twice
    remaining = len(requests.get(f"{url}/all", timeout=30).json())
    assert remaining == baseline + len(inserted) - len(deleted)


SUMMARY = r"summary: inserted (\d+), deleted (\d+), errors (\d+)"


def records_client(url: str, seconds: float, *options: str) -> subprocess.CompletedProcess:
    """The load client as a user runs it: `manage.py records_client`, in a process of its own."""
    command = [sys.executable, "manage.py", "records_client", "--url", url, "--duration", str(seconds), *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)


def test_client_reports_every_interval_and_summarizes(service):
    result = records_client(service.url, 3.5, "--report-every", "1", "--concurrency", "2")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    reports = [re.fullmatch(r"deleted (\d+) in the last 1s \(total (\d+)\)", line) for line in lines[:-1]]
    assert len(reports) == 3 and all(reports), lines
    totals = [int(report.group(2)) for report in reports]
    assert totals == sorted(totals) and totals[-1] > 0
    summary = re.fullmatch(SUMMARY, lines[-1])
    assert summary and int(summary.group(1)) > 0 and int(summary.group(2)) >= totals[-1]
    assert int(summary.group(3)) == 0


def test_client_survives_the_server_being_down():
    result = records_client("http://127.0.0.1:1", 2, "--report-every", "1")
    assert result.returncode == 0
    assert "retrying in" in result.stderr
    assert re.search(r"summary: inserted 0, deleted 0, errors [1-9]\d*", result.stdout)


def test_the_single_object_client_deletes_records_for_20_seconds(service):
    """Issue 13: the seed author's client style (one object per POST, no uuid) against real gunicorn."""
    result = records_client(service.url, 20, "--report-every", "5", "--style", "single")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "HTTP 5" not in result.stderr, result.stderr[-2000:]
    summary = re.fullmatch(SUMMARY, result.stdout.strip().splitlines()[-1])
    assert summary and int(summary.group(1)) > 0 and int(summary.group(2)) > 0 and int(summary.group(3)) == 0
