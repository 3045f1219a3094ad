import threading
import uuid

import pytest

from executors.threads.pool import ThreadPool
from tasks.errors import DispatcherStopped, QueueFull
from tests.support import wait_for


class Probe:
    """Records what the dispatcher runs and abandons; runs block until released."""

    def __init__(self):
        self.release = threading.Event()
        self.started: list[uuid.UUID] = []
        self.abandoned: dict[uuid.UUID, str] = {}

    def run(self, task_id, stopping):
        self.started.append(task_id)
        while not self.release.wait(0.01):
            if stopping():
                return

    def abandon(self, task_id, reason):
        self.abandoned[task_id] = reason


def _dispatcher(probe, *, workers=1, queue_size=2, grace=1.0):
    return ThreadPool(
        run=probe.run,
        abandon=probe.abandon,
        workers=workers,
        queue_size=queue_size,
        grace_seconds=grace,
        queued_reason="queued",
        running_reason="running",
    )


def test_runs_submitted_tasks():
    probe = Probe()
    probe.release.set()
    dispatcher = _dispatcher(probe)
    ids = [uuid.uuid4() for _ in range(2)]
    for task_id in ids:
        dispatcher.submit(task_id)
    wait_for(lambda: len(probe.started) == 2, what="both tasks to run")
    assert probe.started == ids
    dispatcher.shutdown()


def test_full_queue_refuses_without_blocking():
    probe = Probe()
    dispatcher = _dispatcher(probe, queue_size=1)
    dispatcher.submit(uuid.uuid4())
    wait_for(lambda: probe.started, what="the worker to take the first task")
    dispatcher.submit(uuid.uuid4())  # fills the queue
    with pytest.raises(QueueFull):
        dispatcher.submit(uuid.uuid4())
    probe.release.set()
    dispatcher.shutdown()


def test_shutdown_abandons_queued_tasks_and_refuses_new_ones():
    probe = Probe()
    dispatcher = _dispatcher(probe, queue_size=5)
    running = uuid.uuid4()
    dispatcher.submit(running)
    wait_for(lambda: probe.started, what="the worker to start")
    waiting = [uuid.uuid4(), uuid.uuid4()]
    for task_id in waiting:
        dispatcher.submit(task_id)
    dispatcher.shutdown()  # the running task sees stopping() and returns
    assert {task_id: probe.abandoned[task_id] for task_id in waiting} == dict.fromkeys(waiting, "queued")
    assert running not in probe.abandoned
    with pytest.raises(DispatcherStopped):
        dispatcher.submit(uuid.uuid4())
    with pytest.raises(RuntimeError):
        dispatcher.check()


def test_shutdown_abandons_tasks_that_ignore_the_stop_signal():
    started = threading.Event()
    forever = threading.Event()
    abandoned = {}

    def stubborn(task_id, stopping):
        started.set()
        forever.wait(5)

    dispatcher = ThreadPool(
        run=stubborn,
        abandon=abandoned.__setitem__,
        workers=1,
        queue_size=1,
        grace_seconds=0.1,
        queued_reason="queued",
        running_reason="running",
    )
    task_id = uuid.uuid4()
    dispatcher.submit(task_id)
    started.wait(5)
    dispatcher.shutdown()
    forever.set()
    assert abandoned == {task_id: "running"}


def test_check_passes_while_running():
    probe = Probe()
    dispatcher = _dispatcher(probe, workers=2)
    dispatcher.check()
    dispatcher.shutdown()
