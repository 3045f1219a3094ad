import threading

import pytest

from kinds.sleep.kind import run
from tasks.errors import InvalidParams
from tasks.kinds import all_kinds, get_kind
from tests.support import FakeContext, wait_for


def test_registry_knows_sleep():
    assert [kind.name for kind in all_kinds()] == ["sleep", "image", "code", "matrix"]


def test_sleep_reports_progress_in_steps_and_returns_garbage():
    context = FakeContext()
    result = run(context, {"seconds": 0.3, "size": 5})
    assert context.progress == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert len(result["garbage"]) == 10 and result["slept_seconds"] == 0.3


def test_sleep_of_zero_seconds_does_not_sleep():
    context = FakeContext()
    assert run(context, {"seconds": 0.0, "size": 1})["slept_seconds"] == 0.0
    assert context.progress == []


def test_sleep_stops_when_cancelled():
    from tasks.kinds.base import TaskCancelled

    context = FakeContext(cancel_after=2)
    with pytest.raises(TaskCancelled):
        run(context, {"seconds": 10, "size": 1})
    assert len(context.progress) == 2


def test_validation_is_correct_under_concurrent_use():
    """The shared validator instance gives each thread its own answer."""
    kind = get_kind("sleep")
    barrier = threading.Barrier(8)
    failures = []

    def check(n: int):
        barrier.wait()
        for i in range(300):
            seconds = (n * 300 + i) % 50
            if kind.validate({"seconds": seconds, "size": n + 1}) != {"seconds": seconds, "size": n + 1}:
                failures.append((n, i))
            try:
                kind.validate({"seconds": -n - 1})
                failures.append((n, "accepted"))
            except InvalidParams as exc:
                if list(exc.errors) != ["seconds"]:
                    failures.append((n, exc.errors))

    threads = [threading.Thread(target=check, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_validator_follows_settings_changes(settings):
    kind = get_kind("sleep")
    assert kind.validate({"seconds": 30})["seconds"] == 30
    settings.SLEEP_MAX_SECONDS = 10
    with pytest.raises(InvalidParams):
        kind.validate({"seconds": 30})
    assert kind.validate({})["seconds"] == 2.0
    settings.SLEEP_MAX_SECONDS = 1
    assert kind.validate({})["seconds"] == 1.0  # the default never exceeds the maximum


def test_wait_for_reports_timeouts():
    with pytest.raises(AssertionError, match="never"):
        wait_for(lambda: False, timeout=0.05, what="never")


def test_kinds_prepare_at_start_and_an_unusable_sandbox_is_no_crash(monkeypatch):
    """The sandbox is checked when a server or worker process starts, not in a request; a host
    without one still starts (submissions say why: 503), and the check is cached."""
    from kinds.code import kind as code
    from tasks import services

    calls = []
    monkeypatch.setattr("kinds.code.kind.sandbox", lambda: calls.append(1) or Broken())
    code.sandbox_ready.cache_clear()
    try:
        services.prepare_kinds()
        services.prepare_kinds()
    finally:
        code.sandbox_ready.cache_clear()
    assert calls == [1, 1]  # tried at each start while it fails, and never raised


class Broken:
    def check(self) -> None:
        from sandbox.runner import SandboxUnavailable

        raise SandboxUnavailable("no bwrap here")
