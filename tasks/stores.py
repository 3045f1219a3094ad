"""Which store the settings chose: TASK_STORE picks memory or PostgreSQL for every app's data
(tasks and records alike), so the two can never disagree."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")


def chosen(*, memory: Callable[[], T], postgres: Callable[[], T]) -> T:
    """Build the store TASK_STORE names (each builder imports its module only when called)."""
    return postgres() if settings.TASK_STORE == "postgres" else memory()
