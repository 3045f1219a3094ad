"""Quotas trigger at exactly their configured numbers, answer 429 + Retry-After, and recover."""

import base64

import pytest

from tests.accounts.api.conftest import LONG
from tests.images import encoded, photo
from tests.support import assert_problem, wait_for

QUICK = {"kind": "sleep", "params": {"seconds": 0}}


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, set by hand: windows open and close when the test says."""
    now = [1_000_000.0]
    monkeypatch.setattr("accounts.throttles.clock", lambda: now[0])
    return now


def assert_quota(response, quota, limit, retry_after=None):
    body = assert_problem(response, 429, "quota-exceeded")
    assert (body["quota"], body["limit"], body["used"]) == (quota, limit, limit), body
    assert int(response["Retry-After"]) >= 1
    if retry_after is not None:
        assert response["Retry-After"] == str(retry_after)
    return body


@pytest.mark.default_quotas
def test_anonymous_callers_get_one_task_in_progress_by_default(client_with_key, settings):
    anonymous = client_with_key()
    first = anonymous.post("/task", LONG, format="json")
    assert first.status_code == 201
    assert_quota(anonymous.post("/task", LONG, format="json"), "in_progress", 1, settings.TASK_RETRY_AFTER_SECONDS)
    task_id = first.json()["task_id"]
    anonymous.post(f"/task/{task_id}/cancel")
    wait_for(lambda: anonymous.get(f"/status/{task_id}").json()["status"] == "cancelled", what="the cancel")
    assert anonymous.post("/task", LONG, format="json").status_code == 201  # the slot came back


@pytest.mark.default_quotas
def test_users_get_four_in_progress_and_their_own_override(issue_key, client_with_key):
    alice = client_with_key(issue_key("alice"))
    ids = [alice.post("/task", LONG, format="json").json()["task_id"] for _ in range(4)]
    assert_quota(alice.post("/task", LONG, format="json"), "in_progress", 4)
    carol = client_with_key(issue_key("carol", max_in_progress=2))
    for _ in range(2):
        assert carol.post("/task", LONG, format="json").status_code == 201
    assert_quota(carol.post("/task", LONG, format="json"), "in_progress", 2)
    alice.delete(f"/task/{ids[0]}")
    assert alice.post("/task", LONG, format="json").status_code == 201


@pytest.mark.default_quotas
def test_anonymous_submission_rate_is_ten_per_minute(client_with_key, settings, clock):
    settings.QUOTA_ANON_IN_PROGRESS = 100  # this test is about the rate alone
    anonymous = client_with_key()
    clock[0] = 999_980.0  # 40 s before the window (which began at 999_960) closes
    for _ in range(10):
        assert anonymous.post("/task", QUICK, format="json").status_code == 201
    assert_quota(anonymous.post("/task", QUICK, format="json"), "submissions", 10, retry_after=40)
    clock[0] += 39.5
    assert_quota(anonymous.post("/task", QUICK, format="json"), "submissions", 10, retry_after=1)
    clock[0] += 1
    assert anonymous.post("/task", QUICK, format="json").status_code == 201  # a new window


@pytest.mark.default_quotas
def test_user_submission_rate_default_override_and_separate_counts(issue_key, client_with_key, settings, clock):
    settings.QUOTA_USER_IN_PROGRESS = 1000
    alice = client_with_key(issue_key("alice"))
    bob = client_with_key(issue_key("bob", submissions_per_window=3))
    for _ in range(60):
        assert alice.post("/task", QUICK, format="json").status_code == 201
    assert_quota(alice.post("/task", QUICK, format="json"), "submissions", 60)
    for _ in range(3):
        assert bob.post("/task", QUICK, format="json").status_code == 201
    assert_quota(bob.post("/task", QUICK, format="json"), "submissions", 3)
    assert client_with_key().post("/task", QUICK, format="json").status_code == 201  # anonymous: its own


def test_rejected_submissions_still_count_and_reads_do_not(client_with_key, settings, clock):
    settings.QUOTA_ANON_SUBMISSIONS = 2
    anonymous = client_with_key()
    assert_problem(anonymous.post("/task", {"kind": "nope"}, format="json"), 400)
    task_id = anonymous.post("/task", QUICK, format="json").json()["task_id"]
    for _ in range(5):
        assert anonymous.get(f"/status/{task_id}").status_code == 200
    assert_quota(anonymous.post("/task", QUICK, format="json"), "submissions", 2)


def test_an_unreachable_cache_refuses_submissions_with_503(client_with_key, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    body = assert_problem(client_with_key().post("/task", QUICK, format="json"), 503)
    assert "cache" in body["checks"]


@pytest.mark.default_quotas
def test_anonymous_ceilings_for_code_and_images(client_with_key, settings):
    anonymous = client_with_key()
    code = {"language": "python", "source": "print(1)", "limits": {"time_s": 3}}
    body = assert_problem(anonymous.post("/task", {"kind": "code", "params": code}, format="json"), 400)
    assert body["errors"] == [{"pointer": "#/params/limits/time_s", "detail": "At most 2 s for your quota."}]
    settings.QUOTA_ANON_IMAGE_PIXELS = 1000
    image = base64.b64encode(encoded(photo(64, 48))).decode()
    body = assert_problem(
        anonymous.post(
            "/task", {"kind": "image", "params": {"image": image, "filters": [{"op": "grayscale"}]}}, format="json"
        ),
        400,
    )
    assert body["errors"][0]["pointer"] == "#/params/image" and "1,000" in body["errors"][0]["detail"]


def test_me_shows_identity_quotas_and_use(issue_key, client_with_key, settings, clock):
    settings.QUOTA_USER_IN_PROGRESS = 4
    settings.QUOTA_USER_SUBMISSIONS = 60
    key = issue_key("alice", kind_limits={"code": {"max_time_s": 3.0}})
    alice = client_with_key(key)
    alice.post("/task", LONG, format="json")
    me = alice.get("/me").json()
    assert me["username"] == "alice" and not me["anonymous"] and key.startswith(f"tsk_{me['key']['prefix']}_")
    assert me["quotas"]["in_progress"] == {"limit": 4, "used": 1}
    assert me["quotas"]["submissions"]["limit"] == 60 and me["quotas"]["submissions"]["used"] == 1
    assert me["quotas"]["code"]["max_time_s"] == 3.0
    anonymous = client_with_key().get("/me").json()
    assert anonymous["anonymous"] and anonymous["username"] is None and anonymous["address"] == "127.0.0.1"
    assert anonymous["quotas"]["in_progress"]["used"] == 0


@pytest.mark.default_quotas
def test_a_code_task_reserves_its_worst_output_within_the_share(client_with_key, settings):
    """Issue 25 item 2: 20 test cases printing 8 MiB on each stream stored 335 MB for an
    anonymous caller whose share is 32 MiB. The worst case is reserved at submit now."""
    anonymous = client_with_key()
    tests = [{"stdin": "", "expected_output": ""}] * 10
    hog = {"language": "python", "source": "print(1)", "tests": tests, "limits": {"output_kb": 8192}}
    refused = anonymous.post("/task", {"kind": "code", "params": hog}, format="json")
    body = assert_problem(refused, 429, "quota-exceeded")
    assert body["quota"] == "storage" and body["limit"] == settings.QUOTA_ANON_STORED_BYTES and body["used"] == 0
    assert "needs 223," in body["detail"] and "output_kb" in body["detail"], body  # 10 runs x 2 streams x 4/3 x 8 MiB
    small = {**hog, "limits": {"output_kb": 64}}
    accepted = anonymous.post("/task", {"kind": "code", "params": small}, format="json")
    assert accepted.status_code == 201, accepted.json()
    held = anonymous.get("/me").json()["quotas"]["storage"]["used"]
    assert 10 * 2 * 64 * 1024 * 4 / 3 < held < settings.QUOTA_ANON_STORED_BYTES
