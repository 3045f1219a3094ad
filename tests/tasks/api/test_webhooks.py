"""callback_url: the final status POSTed, signed with the owner's secret from /me, retried, and
listed in `callbacks`, on both stores (deliveries on the in-process executor's own threads)."""

import pytest

from tests.receiver import receiver
from tests.support import assert_problem, wait_for

# The deliverer's thread reads the owner's secret on its own connection: the user must be committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.every_store]


@pytest.fixture(autouse=True)
def webhooks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.05


@pytest.fixture
def alice(api, issue_key):
    key = issue_key("alice")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    return auth, api.get("/me", **auth).json()["webhook_secret"]


def submit(api, auth, url, seconds=0.0):
    body = {"kind": "sleep", "params": {"seconds": seconds}, "callback_url": url}
    response = api.post("/task", body, format="json", **auth)
    assert response.status_code == 201, response.content
    return response.json()["task_id"]


def delivered(api, auth, task_id, count=1):
    return wait_for(
        lambda: len((body := api.get(f"/status/{task_id}", **auth).json())["callbacks"]) >= count and body,
        what=f"{count} webhook attempt(s)",
    )


def test_the_final_status_is_posted_signed_and_logged(api, alice):
    auth, secret = alice
    assert secret.startswith("whsec_") and api.get("/me", **auth).json()["webhook_secret"] == secret  # kept
    with receiver(secret=secret) as hook:
        task_id = submit(api, auth, hook.url)
        [delivery] = hook.wait_for(1)
    assert hook.verified(delivery["headers"], delivery["raw"])
    assert delivery["headers"]["webhook-id"] == "msg_" + task_id.replace("-", "")
    assert delivery["body"]["type"] == "task.ready" and delivery["body"]["data"]["task_id"] == task_id
    assert delivery["body"]["data"]["status"] == "ready"
    [attempt] = delivered(api, auth, task_id)["callbacks"]
    assert attempt["outcome"] == "delivered" and attempt["status_code"] == 200 and attempt["attempt"] == 1


def test_non_2xx_answers_are_retried_with_the_same_id(api, alice):
    auth, secret = alice
    with receiver(secret=secret, answers=[500, 503]) as hook:
        task_id = submit(api, auth, hook.url)
        deliveries = hook.wait_for(3)
    assert len({delivery["headers"]["webhook-id"] for delivery in deliveries}) == 1
    attempts = delivered(api, auth, task_id, 3)["callbacks"]
    assert [(a["outcome"], a["status_code"]) for a in attempts] == [
        ("retrying", 500),
        ("retrying", 503),
        ("delivered", 200),
    ]


def test_it_gives_up_after_the_last_attempt(api, alice, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    auth, secret = alice
    with receiver(secret=secret, answers=[500, 500, 500]) as hook:
        task_id = submit(api, auth, hook.url)
        hook.wait_for(2)
        attempts = delivered(api, auth, task_id, 2)["callbacks"]
    assert [a["outcome"] for a in attempts] == ["retrying", "failed"]


def test_a_cancelled_task_is_announced_too(api, alice):
    auth, secret = alice
    with receiver(secret=secret) as hook:
        task_id = submit(api, auth, hook.url, seconds=30)
        api.post(f"/task/{task_id}/cancel", **auth)
        [delivery] = hook.wait_for(1)
    assert delivery["body"]["type"] == "task.cancelled"


def test_callbacks_need_a_key(api):
    body = {"kind": "sleep", "callback_url": "https://hooks.example.com/x"}
    problem = assert_problem(api.post("/task", body, format="json"), 400, "invalid-callback-url")
    assert problem["errors"][0]["pointer"] == "#/callback_url" and "API key" in problem["detail"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "ftp://example.com/", 42])
def test_private_or_odd_urls_are_refused(api, alice, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    auth, _ = alice
    response = api.post("/task", {"kind": "sleep", "callback_url": url}, format="json", **auth)
    assert assert_problem(response, 400)["errors"][0]["pointer"] == "#/callback_url"


def test_batch_items_carry_their_own_callback(api, alice):
    auth, secret = alice
    with receiver(secret=secret) as hook:
        bodies = [{"kind": "sleep", "callback_url": hook.url}, {"kind": "sleep"}]
        response = api.post("/tasks/batch", bodies, format="json", **auth)
        assert response.status_code == 201
        [delivery] = hook.wait_for(1)
    assert delivery["body"]["data"]["task_id"] == response.json()["task_ids"][0]
    refused = api.post("/tasks/batch", [{"kind": "sleep", "callback_url": "gopher://x"}], format="json", **auth)
    assert assert_problem(refused, 400, "invalid-batch")["errors"][0]["pointer"] == "#/0/callback_url"
