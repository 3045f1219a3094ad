"""Every store of settings.STORES in turn, built as the service builds it: a new store's folder is
held to the contracts with no test written for it. Stores other than the in-process one need
the test database (flushed after each test)."""

import pytest
from django.conf import settings as django_settings
from django.utils.module_loading import import_string

MAX_TASKS = 50  # the memory store's bound in these tests, so "full" is quick to reach

STORES = [
    name if name == "memory" else pytest.param(name, marks=pytest.mark.django_db(transaction=True))
    for name in django_settings.STORES
]


@pytest.fixture(params=STORES)
def store_part(request, settings):
    """A builder of the store's parts: store_part("tasks"), ("records") or ("keys")."""
    settings.TASK_MAX_STORED, settings.TASK_MAX_STORED_BYTES = MAX_TASKS, 10**9
    settings.RECORDS_MAX_STORED = 1_000_000
    return lambda part: import_string(f"{django_settings.STORES[request.param]}.{part}")()
