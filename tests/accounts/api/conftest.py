import pytest

from tests.tasks.api.conftest import store  # noqa: F401  (every test here runs on both stores)

# A task that stays in progress long enough to hold a quota slot.
LONG = {"kind": "sleep", "params": {"seconds": 30}}


@pytest.fixture
def alice(client_with_key, issue_key):
    return client_with_key(issue_key("alice"))


@pytest.fixture
def bob(client_with_key, issue_key):
    return client_with_key(issue_key("bob"))
