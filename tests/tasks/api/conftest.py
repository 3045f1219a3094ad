import pytest
from rest_framework.test import APIClient

from tasks import kinds
from tasks.kinds.base import ParamsSerializer, TaskKind
from tests.support import wait_for


@pytest.fixture(autouse=True)
def store(any_store):
    """The same API tests run against every store."""
    return any_store


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def submit(api):
    def submit(kind="sleep", **params):
        response = api.post("/task", {"kind": kind, "params": params}, format="json")
        assert response.status_code == 201, response.content
        return response.json()["task_id"]

    return submit


@pytest.fixture
def wait_status(api):
    def wait_status(task_id, status, timeout=10.0):
        return wait_for(
            lambda: (body := api.get(f"/status/{task_id}").json())["status"] == status and body,
            timeout=timeout,
            what=f"task {task_id} to be {status}",
        )

    return wait_status


@pytest.fixture
def probe_kind(monkeypatch):
    """Registers kind `probe` whose handler is the given callable."""

    def register(handler):
        monkeypatch.setitem(kinds.registry(), "probe", TaskKind("probe", "test kind", ParamsSerializer, handler))

    return register
