"""Signed webhooks from a real gunicorn: delivered and verifiable with the secret from /me, and a
receiver that takes its time holds up no task."""

import time

import requests

from tests.e2e.conftest import embedded_database, manage
from tests.receiver import receiver


def test_a_webhook_is_verifiable_and_a_slow_receiver_blocks_no_task(gunicorn):
    server = gunicorn(WEBHOOK_ALLOW_PRIVATE="true", TASK_WORKERS="1", WEBHOOK_TIMEOUT_SECONDS="5")
    key = manage("create_api_key", "hooked", "--create-user", env=embedded_database(server)).strip()
    auth = {"Authorization": f"Bearer {key}"}
    secret = requests.get(f"{server.url}/me", headers=auth, timeout=10).json()["webhook_secret"]
    with receiver(secret=secret, delay=3.0) as hook:
        body = {"kind": "sleep", "params": {"seconds": 0}, "callback_url": hook.url}
        hooked = requests.post(f"{server.url}/task", json=body, headers=auth, timeout=10).json()["task_id"]
        time.sleep(0.3)  # its delivery is under way, and slow
        started = time.monotonic()
        for _ in range(3):  # the one task worker is free: these run while the receiver dawdles
            plain = requests.post(f"{server.url}/task", json={"kind": "sleep", "params": {"seconds": 0}}, timeout=10)
            final = requests.get(f"{server.url}/status/{plain.json()['task_id']}", params={"wait": 10}, timeout=20)
            assert final.json()["status"] == "ready"
        assert time.monotonic() - started < 2.5
        [delivery] = hook.wait_for(1)
    assert hook.verified(delivery["headers"], delivery["raw"]) and delivery["body"]["data"]["task_id"] == hooked
    assert abs(int(delivery["headers"]["webhook-timestamp"]) - time.time()) < 30
    status = requests.get(f"{server.url}/status/{hooked}", headers=auth, timeout=10).json()
    assert [attempt["outcome"] for attempt in status["callbacks"]] == ["delivered"]
    assert status["callbacks"][0]["duration_ms"] >= 2900
