"""The in-memory records store's cap, through the API: 503 with Retry-After, nothing half-saved."""

import pytest
from rest_framework.test import APIClient

from records import providers
from tests.support import assert_problem


@pytest.fixture(autouse=True)
def small_store(settings):
    settings.TASK_STORE = "memory"
    settings.RECORDS_MAX_STORED = 3
    providers.reset()
    yield
    providers.reset()


def test_full_store_is_503_with_retry_after_and_deletes_make_room():
    api = APIClient()
    saved = api.post("/new", [{"text": "a"}, {"text": "b"}, {"text": "c"}], format="json").json()
    response = api.post("/new", [{"text": "d"}], format="json")
    assert_problem(response, 503, "capacity-exhausted")
    assert response["Retry-After"]
    api.delete(f"/{saved[0]['uuid']}")
    assert api.post("/new", [{"text": "d"}], format="json").status_code == 201
