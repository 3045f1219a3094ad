"""Fairness across owners in the Celery executor: each owner's tasks go to one lane."""

from executors.celery.executor import lane


def test_celery_lanes_are_stable_and_spread_owners(settings):
    settings.TASK_FAIR_LANES = 8
    assert lane("user:1") == lane("user:1") and lane("user:1").startswith("tasks-lane-")
    assert len({lane(f"anon:10.0.0.{n}") for n in range(64)}) >= 6
