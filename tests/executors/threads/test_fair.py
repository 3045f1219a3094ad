"""Fairness across owners in the threads executor: the FairQueue."""

import queue
import threading
import uuid

import pytest

from executors.threads.fair import FairQueue


def test_owners_take_turns_and_each_keeps_its_order():
    fair = FairQueue(maxsize=100)
    heavy = [uuid.uuid4() for _ in range(5)]
    light = [uuid.uuid4() for _ in range(2)]
    for task_id in heavy:
        fair.put_nowait(task_id, "user:heavy")
    for task_id in light:
        fair.put_nowait(task_id, "anon:127.0.0.1")
    served = [fair.get_nowait() for _ in range(7)]
    assert served == [heavy[0], light[0], heavy[1], light[1], heavy[2], heavy[3], heavy[4]]


def test_a_newcomer_waits_for_at_most_one_task_per_owner_ahead():
    fair = FairQueue(maxsize=1000)
    for owner in ("a", "b", "c"):
        for _ in range(100):
            fair.put_nowait(uuid.uuid4(), owner)
    mine = uuid.uuid4()
    fair.put_nowait(mine, "me")
    position = next(n for n in range(301) if fair.get_nowait() == mine)
    assert position == 3  # a, b and c went once each; FIFO would have made it 300


def test_the_bound_counts_every_lane():
    fair = FairQueue(maxsize=2)
    fair.put_nowait(uuid.uuid4(), "a")
    fair.put_nowait(uuid.uuid4(), "b")
    with pytest.raises(queue.Full):
        fair.put_nowait(uuid.uuid4(), "c")


def test_close_drains_then_ends_every_waiting_get():
    fair = FairQueue(maxsize=10)
    results = []
    waiters = [threading.Thread(target=lambda: results.append(fair.get())) for _ in range(2)]
    for waiter in waiters:
        waiter.start()
    fair.close()
    for waiter in waiters:
        waiter.join(timeout=5)
    assert results == [None, None]
