"""Broken object-level authorization, tried: user B on user A's task gets what an unknown id gets."""

import uuid

from tests.accounts.api.conftest import LONG
from tests.support import assert_problem

DONE = {"kind": "sleep", "params": {"seconds": 0}}


def not_found_body(response, task_id):
    body = assert_problem(response, 404, "task-not-found")
    return {**body, "detail": body["detail"].replace(task_id, "<id>")}


def test_another_users_task_answers_exactly_like_an_unknown_id(alice, bob):
    finished = alice.post("/task", DONE, format="json").json()["task_id"]
    running = alice.post("/task", LONG, format="json").json()["task_id"]
    unknown = str(uuid.uuid4())
    for task_id in (finished, running):
        for method, path in (
            ("get", f"/status/{task_id}"),
            ("get", f"/result/{task_id}"),
            ("post", f"/task/{task_id}/cancel"),
            ("delete", f"/task/{task_id}"),
        ):
            theirs = getattr(bob, method)(path)
            missing = getattr(bob, method)(path.replace(task_id, unknown))
            assert not_found_body(theirs, task_id) == not_found_body(missing, unknown), path
    assert bob.get("/tasks").json()["results"] == []
    # Alice's tasks are untouched: still there, still running, still listed.
    assert alice.get(f"/status/{running}").json()["state"] in ("queued", "running")
    assert {task["task_id"] for task in alice.get("/tasks").json()["results"]} == {finished, running}


def test_anonymous_tasks_are_held_by_their_id_and_never_listed(client_with_key, alice):
    anonymous = client_with_key()
    task_id = anonymous.post("/task", DONE, format="json").json()["task_id"]
    assert alice.get(f"/status/{task_id}").status_code == 200  # whoever holds the id
    assert alice.get("/tasks").json()["results"] == []
    assert_problem(anonymous.get("/tasks"), 401)


def test_users_tasks_are_not_readable_anonymously(alice, client_with_key):
    task_id = alice.post("/task", DONE, format="json").json()["task_id"]
    assert_problem(client_with_key().get(f"/status/{task_id}"), 404, "task-not-found")
