"""Hand-offs and heartbeats written in bulk by one thread per process: each write carries every
task it concerns, a failed write does not stop the next, and closing writes what is left."""

import threading
import time
import uuid

import pytest

from executors.celery.ledger import HandOffs, Heartbeats


class Writes:
    def __init__(self, *, fail_first: bool = False) -> None:
        self.calls: list[list[uuid.UUID]] = []
        self.fail_first = fail_first
        self.written = threading.Event()

    def __call__(self, task_ids, at) -> None:
        if self.fail_first:
            self.fail_first = False
            raise OSError("the store is away")
        self.calls.append(sorted(task_ids))
        self.written.set()


def ids(count: int) -> list[uuid.UUID]:
    return sorted(uuid.uuid4() for _ in range(count))


def ledger_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name in ("hand-offs", "heartbeats")}


def test_hand_offs_are_written_together_and_the_rest_at_close():
    writes = Writes()
    others = ledger_threads()  # other tests' executors in this process may have theirs
    hand_offs = HandOffs(writes, every=3600)
    assert ledger_threads() == others  # no thread until there is something to write
    first = ids(3)
    for task_id in first:
        hand_offs.add(task_id)
    [started] = ledger_threads() - others
    assert writes.calls == [] and started.name == "hand-offs"
    hand_offs.close()
    assert writes.calls == [first] and not started.is_alive()


def test_hand_offs_are_written_within_their_interval():
    writes = Writes()
    hand_offs = HandOffs(writes, every=0.05)
    try:
        [task_id] = ids(1)
        hand_offs.add(task_id)
        assert writes.written.wait(30)
        assert writes.calls == [[task_id]]
    finally:
        hand_offs.close()
    assert writes.calls == [[task_id]]  # nothing written twice


def test_a_failed_write_is_logged_and_the_next_one_goes_ahead(caplog):
    writes = Writes(fail_first=True)
    hand_offs = HandOffs(writes, every=0.05)
    try:
        hand_offs.add(uuid.uuid4())  # lost with the failed write: the orphan sweep sends it again
        deadline = time.monotonic() + 30
        while "a write failed" not in caplog.text:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        later = uuid.uuid4()
        hand_offs.add(later)
        assert writes.written.wait(30) and writes.calls == [[later]]
    finally:
        hand_offs.close()


def test_heartbeats_beat_every_running_task_in_one_write_until_it_ends():
    writes = Writes()
    heartbeats = Heartbeats(writes, every=3600)
    one, two = ids(2)
    heartbeats.add(one)
    heartbeats.add(two)
    heartbeats.tick()
    heartbeats.discard(one)
    heartbeats.tick()
    heartbeats.close()
    assert writes.calls == [[one, two], [two], [two]]


@pytest.mark.parametrize("ledger", [HandOffs, Heartbeats])
def test_after_close_nothing_starts_a_thread_again(ledger):
    others = ledger_threads()
    recorder = ledger(Writes(), every=3600)
    recorder.close()
    recorder.add(uuid.uuid4())
    assert ledger_threads() == others
