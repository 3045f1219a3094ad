import pytest
from django.core.cache import cache

from tasks import providers
from tests.support import POSTGRES

# Quotas are tested on purpose (tests/accounts/); elsewhere one client submits many tasks.
ROOMY_QUOTAS = {
    "QUOTA_ANON_IN_PROGRESS": 100_000,
    "QUOTA_ANON_SUBMISSIONS": 1_000_000,
    "QUOTA_ANON_CODE_TIME_S": 10_000.0,
    "QUOTA_ANON_CODE_TASK_S": 10_000.0,
    "QUOTA_ANON_CODE_MEMORY_MB": 1_000_000,
    "QUOTA_ANON_IMAGE_PIXELS": 10**12,
    "QUOTA_ANON_IMAGE_STEPS": 1_000,
    "QUOTA_ANON_IMAGE_TIME_S": 10_000.0,
    "QUOTA_ANON_IMAGE_MEMORY_MB": 1_000_000,
    "QUOTA_USER_IN_PROGRESS": 100_000,
    "QUOTA_USER_SUBMISSIONS": 1_000_000,
    "QUOTA_ANON_STORED_BYTES": 10**12,
    "RECORDS_SHARE_ANON": 1.0,
    "RECORDS_QUOTA_ANON_ITEMS": 10**12,
    "REGISTRATIONS_PER_ADDRESS": 1_000_000,
    "LOGIN_ATTEMPTS_PER_ADDRESS": 1_000_000,
    "RECORDS_QUOTA_ANON_BYTES": 10**12,
    "TASK_MAX_STORED_BYTES_PER_OWNER": 10**12,
}


@pytest.fixture(autouse=True)
def fresh_providers():
    """Every test starts with a new store and executor and leaves none running."""
    providers.shutdown()
    yield
    providers.shutdown()


def pytest_generate_tests(metafunc):
    """A test using `any_store` runs on the in-memory store, and on PostgreSQL too where it is about
    what a store does (marked `every_store`). A kind's own API tests need only one: the store
    behind them is the contract suite's and the end-to-end cluster's to cover."""
    if "any_store" in metafunc.fixturenames:
        every = metafunc.definition.get_closest_marker("every_store") is not None
        metafunc.parametrize("any_store", ["memory", POSTGRES] if every else ["memory"], indirect=True)


@pytest.fixture
def any_store(request, settings):
    """The store in turn (TASK_STORE picks it for tasks, records and idempotency keys), starting empty."""
    from idempotency import providers as key_providers
    from records import providers as record_providers

    settings.TASK_STORE = request.param
    providers.shutdown()
    record_providers.reset()
    key_providers.reset()
    yield request.param
    providers.shutdown()
    record_providers.reset()
    key_providers.reset()


@pytest.fixture(autouse=True)
def fast_password_hashing(request, settings):
    """PBKDF2's 1,000,000 rounds cost ~0.3 s a login; tests that count logins need not pay it.
    A test marked `real_password_hashing` keeps the shipped hasher (the one that checks it)."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


FROZEN_WINDOW_CLOCK = 1_800_000_030.0  # 30 s into a 60 s window


@pytest.fixture(autouse=True)
def quotas(request, settings, monkeypatch):
    """Counters start at zero; quotas are roomy unless the test is marked `default_quotas`. The
    quota windows' clock stands still mid-window (tests that move it set their own): with the
    real one, a test whose requests straddled a window's end saw its count start again."""
    from accounts import keys

    monkeypatch.setattr("accounts.throttles.clock", lambda: FROZEN_WINDOW_CLOCK)
    cache.clear()
    keys.forget_verified()
    if request.node.get_closest_marker("default_quotas") is None:
        for name, value in ROOMY_QUOTAS.items():
            setattr(settings, name, value)


@pytest.fixture
def issue_key(db):
    """Factory: a new API key for `username` (the user is made on first use), with quota overrides."""
    from django.contrib.auth import get_user_model

    from accounts import keys
    from accounts.models import Quota

    def issue(username: str = "alice", *, expires_at=None, **quota) -> str:
        user, _ = get_user_model().objects.get_or_create(username=username)
        if quota:
            Quota.objects.update_or_create(user=user, defaults=quota)
        return keys.issue(user, expires_at=expires_at)[1]

    return issue


@pytest.fixture
def client_with_key():
    """Factory: a DRF test client that sends `key` (or nothing) as its bearer credentials."""
    from rest_framework.test import APIClient

    def client(key: str | None = None) -> APIClient:
        api = APIClient()
        if key is not None:
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return api

    return client
