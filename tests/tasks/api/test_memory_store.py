"""API behaviour that only the in-memory store has: its hard cap."""

import pytest

from tests.support import assert_problem


@pytest.fixture
def store(settings):
    settings.TASK_STORE = "memory"
    return "memory"


def test_full_store_answers_503(api, settings):
    settings.TASK_MAX_STORED = 2
    for _ in range(2):
        assert api.post("/task", {"params": {"seconds": 0}}, format="json").status_code == 201
    response = api.post("/task", {"params": {"seconds": 0}}, format="json")
    assert_problem(response, 503, "capacity-exhausted")
    assert "store is full" in response.json()["detail"]
