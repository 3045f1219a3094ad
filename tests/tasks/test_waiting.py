"""Finishes: bounded waiters, woken per task."""

import threading
import uuid

import pytest

from tasks.errors import TooManyWaiters
from tasks.waiting import Finishes


def test_a_finish_wakes_that_tasks_waiters_only():
    finishes = Finishes(max_waiters=10, max_per_owner=10)
    mine, other = uuid.uuid4(), uuid.uuid4()
    with finishes.watch(mine, "a") as first, finishes.watch(mine, "b") as second, finishes.watch(other, "a") as third:
        finishes.announce(mine)
        assert first.wait(0) and second.wait(0) and not third.wait(0)
        assert not first.wait(0)  # each wake is seen once
    assert finishes.waiting == 0


def test_waiters_are_bounded_in_all_and_per_owner():
    finishes = Finishes(max_waiters=3, max_per_owner=2)
    with finishes.watch(uuid.uuid4(), "a"), finishes.watch(uuid.uuid4(), "a"):
        with pytest.raises(TooManyWaiters, match="2 tasks at once"), finishes.watch(uuid.uuid4(), "a"):
            pass
        full = pytest.raises(TooManyWaiters, match="as many waiting requests")
        with finishes.watch(uuid.uuid4(), "b"), full, finishes.watch(uuid.uuid4(), "c"):
            pass
    with finishes.watch(uuid.uuid4(), "a"):  # freed on leaving, even by an exception
        assert finishes.waiting == 1


def test_announce_all_wakes_everyone_and_close_refuses_new_waiters():
    finishes = Finishes(max_waiters=10, max_per_owner=10)
    woke = []
    with finishes.watch(uuid.uuid4(), None) as watch:
        waiter = threading.Thread(target=lambda: woke.append(watch.wait(30)))
        waiter.start()
        finishes.close()
        waiter.join(5)
    assert woke == [False]  # woken, but told to stop waiting: the process is closing
    with pytest.raises(TooManyWaiters), finishes.watch(uuid.uuid4(), None):
        pass


def test_a_wait_times_out():
    finishes = Finishes(max_waiters=1, max_per_owner=1)
    with finishes.watch(uuid.uuid4(), None) as watch:
        assert watch.wait(0.01) is False
