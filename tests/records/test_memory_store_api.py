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


@pytest.mark.default_quotas
def test_one_address_cannot_fill_the_store_for_a_keyed_user(settings, issue_key):
    """Issue 25 item 7: with RECORDS_MAX_STORED=20000 an anonymous caller filled the store, and a
    keyed user's single POST /new got 503. Each caller holds at most its share of the caps."""
    settings.RECORDS_MAX_STORED = 20
    anonymous = APIClient()
    assert anonymous.post("/new", {"text": "x"}, format="json").status_code == 201  # its share: 5% of 20, 1
    refused = assert_problem(anonymous.post("/new", {"text": "x"}, format="json"), 429, "quota-exceeded")
    assert (refused["quota"], refused["limit"], refused["used"]) == ("stored_records", 1, 1)
    keyed = APIClient(HTTP_AUTHORIZATION=f"Bearer {issue_key('alice')}")
    saved = keyed.post("/new", [{"text": "y"}] * 5, format="json")
    assert saved.status_code == 201  # 25% of 20
    assert keyed.post("/new", {"text": "y"}, format="json").status_code == 429
    keyed.delete(f"/{saved.json()[0]['uuid']}")
    assert keyed.post("/new", {"text": "y"}, format="json").status_code == 201  # a delete frees the share
