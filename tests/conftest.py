import pytest

from tasks import providers


@pytest.fixture(autouse=True)
def fresh_providers():
    """Every test starts with a new store and executor and leaves none running."""
    providers.shutdown()
    yield
    providers.shutdown()
