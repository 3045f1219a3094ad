"""GET /status/{id}?wait and POST /task with `Prefer: wait`, on both stores (the PostgreSQL one is
woken by its NOTIFY trigger through the listener)."""

import time

import pytest

from tasks import providers
from tests.support import assert_problem, thread, wait_for

pytestmark = pytest.mark.every_store


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_wait_answers_as_soon_as_the_task_finishes(api, submit):
    task_id = submit(seconds=0.3)
    response, took = timed(lambda: api.get(f"/status/{task_id}", {"wait": "10"}))
    assert response.status_code == 200 and response.json()["status"] == "ready"
    assert 0.2 < took < 8.0  # well under the 10 s it would wait: woken by the finish (a loaded machine is slow)


def test_wait_gives_in_progress_when_the_time_is_up(api, submit):
    task_id = submit(seconds=10)
    response, took = timed(lambda: api.get(f"/status/{task_id}", {"wait": "0.3"}))
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    assert 0.29 < took < 8.0  # and under the task's 10 s


def test_a_finished_task_or_a_zero_wait_answers_at_once(api, submit, wait_status):
    running = submit(seconds=10)
    assert timed(lambda: api.get(f"/status/{running}", {"wait": "0"}))[1] < 8.0  # not the task's 10 s
    done = submit(seconds=0)
    wait_status(done, "ready")
    response, took = timed(lambda: api.get(f"/status/{done}", {"wait": "30"}))
    assert response.json()["status"] == "ready" and took < 20.0  # not the 30 s asked


def waiting(api, task_id):
    """A request that waits for the task, in a thread, once the store counts it as a waiter; the
    list gets its (response, seconds) when it is answered."""
    answers = []
    waiter = thread(lambda: answers.append(timed(lambda: api.get(f"/status/{task_id}?wait=20"))))
    waiter.start()
    wait_for(lambda: providers.task_repository()._finishes.waiting, what="the waiter to wait")
    return waiter, answers


def test_a_cancel_wakes_the_waiter(api, submit):
    task_id = submit(seconds=30)
    waiter, answers = waiting(api, task_id)
    api.post(f"/task/{task_id}/cancel")
    waiter.join(10)
    response, took = answers[0]
    assert response.json()["status"] == "cancelled" and took < 15.0  # not the 20 s asked


@pytest.mark.parametrize("wait", ["soon", "-1", "31", "nan", "inf", ""])
def test_a_bad_wait_is_400_naming_it(api, submit, wait):
    task_id = submit(seconds=0)
    body = assert_problem(api.get(f"/status/{task_id}", {"wait": wait}), 400, "invalid-request")
    assert [error["pointer"] for error in body["errors"]] == ["#/wait"]


def test_waiting_for_someone_elses_task_looks_like_a_missing_one(api, issue_key):
    owner, stranger = issue_key("owner"), issue_key("stranger")
    body = {"kind": "sleep", "params": {"seconds": 5}}
    task_id = api.post("/task", body, format="json", HTTP_AUTHORIZATION=f"Bearer {owner}").json()["task_id"]
    response = api.get(f"/status/{task_id}", {"wait": "5"}, HTTP_AUTHORIZATION=f"Bearer {stranger}")
    assert_problem(response, 404, "task-not-found")


def test_past_the_waiter_bound_a_wait_is_429_and_other_requests_still_answer(api, submit, settings):
    settings.TASK_MAX_WAITERS = 1  # the store is built on first use, after this
    task_id = submit(seconds=30)
    first, _ = waiting(api, task_id)
    response = api.get(f"/status/{task_id}", {"wait": "5"})
    assert_problem(response, 429, "too-many-waiters")
    assert response["Retry-After"] == "1"
    assert api.get(f"/status/{task_id}").json()["status"] == "in_progress"  # no wait: answered as ever
    api.post(f"/task/{task_id}/cancel")
    first.join(10)
    assert not first.is_alive()


def test_one_caller_cannot_take_every_wait(api, submit, settings):
    settings.TASK_MAX_WAITERS_PER_OWNER = 1
    task_id = submit(seconds=30)
    first, _ = waiting(api, task_id)
    body = assert_problem(api.get(f"/status/{task_id}", {"wait": "5"}), 429, "too-many-waiters")
    assert "1 task at once" in body["detail"]
    api.post(f"/task/{task_id}/cancel")
    first.join(10)


def test_stopping_the_service_releases_its_waiters(api, submit):
    task_id = submit(seconds=30)
    waiter, answers = waiting(api, task_id)
    providers.shutdown()
    waiter.join(10)
    assert answers and answers[0][1] < 10


def test_prefer_wait_answers_200_with_the_final_status(api):
    body = {"kind": "sleep", "params": {"seconds": 0.2}}
    response, took = timed(lambda: api.post("/task", body, format="json", HTTP_PREFER="wait=10"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ready" and response.json()["result"] is not None
    assert response["Preference-Applied"] == "wait=10"
    assert response["Location"] == f"/status/{response.json()['task_id']}"
    assert took < 8.0  # under the 10 s it would wait


def test_prefer_wait_that_runs_out_is_the_usual_201(api):
    body = {"kind": "sleep", "params": {"seconds": 10}}
    response, took = timed(lambda: api.post("/task", body, format="json", HTTP_PREFER="respond-async, wait=1"))
    assert response.status_code == 201 and response.json()["status"] == "in_progress"
    assert response["Preference-Applied"] == "wait=1" and 0.9 < took < 8.0  # under the task's 10 s


@pytest.mark.parametrize("prefer", ["wait=soon", "wait=-1", "wait=1.5", "handling=lenient", "wait"])
def test_a_prefer_without_a_wait_it_understands_is_ignored(api, prefer):
    response = api.post("/task", {"kind": "sleep", "params": {"seconds": 5}}, format="json", HTTP_PREFER=prefer)
    assert response.status_code == 201 and "Preference-Applied" not in response


def test_prefer_wait_is_capped_at_the_longest_wait(api, settings):
    settings.TASK_MAX_WAIT_SECONDS = 0.5
    body = {"kind": "sleep", "params": {"seconds": 10}}
    response, took = timed(lambda: api.post("/task", body, format="json", HTTP_PREFER="wait=600"))
    assert response.status_code == 201 and response["Preference-Applied"] == "wait=0.5" and took < 8.0
