"""tasks/errors.py: where an error sends the caller is a route the API has."""

import re
import uuid

from django.urls import resolve

from tasks.errors import StorageQuotaExceeded


def test_the_storage_quota_sends_the_caller_to_a_delete_route_that_exists():
    method, path = re.search(r"\((DELETE) (/\S+)\)", str(StorageQuotaExceeded(10, 20))).groups()
    view = resolve(path.replace("{id}", str(uuid.uuid4()))).func
    assert method.lower() in view.actions  # the ViewSet answers that method there
