"""Issue 13: POST /register, /login, /logout through the API, as the course client uses them."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.support import assert_problem

pytestmark = pytest.mark.django_db

PASSWORD = "password228"


@pytest.fixture
def api():
    return APIClient()


def new_name() -> str:
    return f"user_{uuid.uuid4()}"


def register(api, username, password=PASSWORD):
    return api.post("/register", {"username": username, "password": password}, format="json")


def login(api, username, password=PASSWORD):
    return api.post("/login", {"username": username, "password": password}, format="json")


def test_register_then_login_gives_a_token_that_works_as_a_key(api):
    username = new_name()
    created = register(api, username)
    assert created.status_code == 201
    assert set(created.json()) == {"id", "username", "date_joined"} and created.json()["username"] == username
    response = login(api, username)
    assert response.status_code == 200
    token, expires_at = response.json()["token"], response.json()["expires_at"]
    assert token.startswith("tsk_") and expires_at
    keyed = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert keyed.get("/me").json()["username"] == username
    assert keyed.post("/task").status_code == 201


def test_the_token_expires_after_login_token_ttl(api, settings):
    settings.LOGIN_TOKEN_TTL = 3600
    username = new_name()
    register(api, username)
    expires_at = login(api, username).json()["expires_at"]
    from datetime import datetime

    left = datetime.fromisoformat(expires_at.replace("Z", "+00:00")) - timezone.now()
    assert timedelta(minutes=59) < left <= timedelta(hours=1)


def test_a_taken_username_is_409(api):
    username = new_name()
    register(api, username)
    assert_problem(register(api, username), 409, "username-taken")


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"password": PASSWORD}, "#/username"),
        ({"username": "someone"}, "#/password"),
        ({"username": "someone", "password": "short"}, "#/password"),
        ({"username": "samename1", "password": "samename1"}, "#/password"),
        ({"username": "no spaces!", "password": PASSWORD}, "#/username"),
        ({"username": 12, "password": PASSWORD}, "#/username"),
    ],
    ids=["no-username", "no-password", "short", "same-as-username", "bad-characters", "not-a-string"],
)
def test_invalid_registrations_are_400_naming_the_field(api, body, pointer):
    problem = assert_problem(api.post("/register", body, format="json"), 400)
    assert pointer in {error["pointer"] for error in problem["errors"]}


@pytest.mark.real_password_hashing
def test_the_password_is_never_in_a_response_and_only_its_hash_is_kept(api):
    from django.contrib.auth import get_user_model

    username = new_name()
    response = register(api, username)
    assert PASSWORD not in response.content.decode()
    stored = get_user_model().objects.get(username=username).password
    assert PASSWORD not in stored and stored.startswith("pbkdf2_sha256$")


def test_registration_can_be_switched_off(api, settings):
    settings.ALLOW_REGISTRATION = False
    assert_problem(register(api, new_name()), 403, "registration-closed")


def test_wrong_username_and_wrong_password_get_the_same_401(api):
    username = new_name()
    register(api, username)
    wrong_password = login(api, username, "not-the-password")
    unknown_user = login(api, new_name())
    assert_problem(wrong_password, 401, "invalid-credentials")
    assert wrong_password.json() == unknown_user.json()
    assert wrong_password["WWW-Authenticate"].startswith("Bearer")


def test_login_attempts_are_throttled_per_address(api, settings):
    settings.LOGIN_ATTEMPTS_PER_ADDRESS = 3
    for _ in range(3):
        assert login(api, new_name()).status_code == 401
    refused = assert_problem(login(api, new_name()), 429, "quota-exceeded")
    assert refused["quota"] == "login_attempts" and int(login(api, new_name())["Retry-After"]) >= 1


def test_failed_logins_are_throttled_per_username_even_with_the_right_password_then(api, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    username = new_name()
    register(api, username)
    for _ in range(2):
        assert login(api, username, "guess-guess").status_code == 401
    refused = assert_problem(login(api, username), 429, "quota-exceeded")
    assert refused["quota"] == "login_failures"
    assert login(api, new_name()).status_code == 401  # other usernames are not locked


def test_logout_revokes_the_token(api):
    username = new_name()
    register(api, username)
    token = login(api, username).json()["token"]
    keyed = APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert keyed.post("/logout").status_code == 204
    assert_problem(keyed.get("/me"), 401)


def test_logout_leaves_an_api_key_alone(api, issue_key):
    """Issue 25 item 7: POST /logout with a long-lived API key revoked the key for good."""
    keyed = APIClient(HTTP_AUTHORIZATION=f"Bearer {issue_key('alice')}")
    assert_problem(keyed.post("/logout"), 409, "not-a-login-token")
    assert keyed.get("/me").status_code == 200


def test_logout_needs_a_token(api):
    assert_problem(api.post("/logout"), 401)


def test_without_anonymous_use_the_seed_endpoints_need_the_token(api, settings):
    settings.ALLOW_ANONYMOUS = False
    task = str(uuid.uuid4())
    for method, path in (("post", "/task"), ("get", f"/status/{task}"), ("get", f"/result/{task}")):
        assert_problem(getattr(api, method)(path), 401)
    username = new_name()
    register(api, username)
    keyed = APIClient(HTTP_AUTHORIZATION=f"Bearer {login(api, username).json()['token']}")
    assert keyed.post("/task").status_code == 201
    assert_problem(keyed.get(f"/status/{task}"), 404, "task-not-found")
    assert_problem(keyed.get(f"/result/{task}"), 404, "task-not-found")


def test_usernames_differing_only_in_case_are_one_name(api):
    """Issue 25 item 7: `Alice` and `alice` registered as two users."""
    username = new_name()
    assert register(api, username).status_code == 201
    assert_problem(register(api, username.upper()), 409, "username-taken")
