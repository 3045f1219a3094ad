"""Who may call: no key, a bad one, a revoked or expired one, a good one; anonymous use on and off."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import keys
from accounts.models import ApiKey
from tests.support import assert_problem

QUICK = {"kind": "sleep", "params": {"seconds": 0}}
TASK = "5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1"
# Every endpoint that acts on tasks, as (method, path, body).
TASK_ENDPOINTS = [
    ("post", "/task", QUICK),
    ("get", f"/status/{TASK}", None),
    ("get", f"/result/{TASK}", None),
    ("post", f"/task/{TASK}/cancel", None),
    ("delete", f"/task/{TASK}", None),
    ("get", "/tasks", None),
    ("get", "/me", None),
]


def call(api, method, path, body):
    return getattr(api, method)(path, body, format="json") if body else getattr(api, method)(path)


def assert_unauthorized(response, detail=None):
    body = assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="taskservice"'
    if detail:
        assert detail in body["detail"], body
    return body


@pytest.fixture(params=[True, False], ids=["anonymous-on", "anonymous-off"])
def allow_anonymous(request, settings):
    settings.ALLOW_ANONYMOUS = request.param
    return request.param


@pytest.mark.default_quotas
def test_the_seed_flow_works_anonymously_with_the_shipped_settings(client_with_key):
    api = client_with_key()
    created = api.post("/task", QUICK, format="json")
    assert created.status_code == 201
    assert api.get(f"/status/{created.json()['task_id']}").status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), TASK_ENDPOINTS)
def test_no_key(allow_anonymous, client_with_key, method, path, body):
    response = call(client_with_key(), method, path, body)
    if path == "/tasks":
        assert_unauthorized(response, "anonymous tasks are never listed")
    elif allow_anonymous:
        assert response.status_code in (200, 201, 404), response.content
    else:
        assert_unauthorized(response, "needs an API key")


@pytest.mark.parametrize(("method", "path", "body"), TASK_ENDPOINTS)
@pytest.mark.parametrize(
    ("credentials", "detail"),
    [
        ("Bearer tsk_0123456789ab_not-a-key", "Invalid API key"),
        ("Bearer ", "Authorization: Bearer"),
        ("Basic YWxpY2U6cGFzc3dvcmQ=", "Authorization: Bearer"),
        ("tsk_0123456789ab_no-scheme", "Authorization: Bearer"),
    ],
)
def test_a_bad_key_is_401_never_anonymous(db, allow_anonymous, method, path, body, credentials, detail):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=credentials)
    assert_unauthorized(call(api, method, path, body), detail)


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_revoked_and_expired_keys_are_401(allow_anonymous, issue_key, client_with_key, state):
    key = issue_key()
    api_key = keys.verify(key)
    if state == "revoked":
        keys.revoke(api_key)
    else:
        ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        keys.forget_verified()  # as if changed by another process, API_KEY_CACHE_SECONDS ago
    for method, path, body in TASK_ENDPOINTS:
        assert_unauthorized(call(client_with_key(key), method, path, body), state)


def test_a_valid_key_works_with_anonymous_use_on_or_off(allow_anonymous, issue_key, client_with_key):
    api = client_with_key(issue_key())
    created = api.post("/task", QUICK, format="json")
    assert created.status_code == 201
    task_id = created.json()["task_id"]
    assert api.get(f"/status/{task_id}").status_code == 200
    assert [task["task_id"] for task in api.get("/tasks").json()["results"]] == [task_id]
    assert api.get("/me").json()["username"] == "alice"


def test_public_endpoints_need_no_key_even_when_anonymous_use_is_off(settings, client_with_key):
    settings.ALLOW_ANONYMOUS = False
    for path in ("/kinds", "/filters", "/languages", "/healthz", "/api/schema/", "/api/docs/"):
        assert client_with_key().get(path).status_code == 200, path
