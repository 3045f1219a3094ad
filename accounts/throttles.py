"""The submissions-per-window quota, as a DRF throttle on the shared cache.

A fixed window counted with the cache's atomic `incr` (Redis INCR when CACHE_URL is set), so
the limit is exact across gunicorn workers and machines. DRF's own SimpleRateThrottle keeps a
list of timestamps that it reads, edits and writes back: two workers can both admit the
request that fills the window. The price of a fixed window is that a burst may straddle two.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts.callers import caller_for
from tasks.errors import DependencyUnavailable, TooManySubmissions

clock = time.time  # replaceable, so tests open and close windows at will


def window_start(now: float) -> int:
    return int(now // settings.QUOTA_WINDOW_SECONDS) * settings.QUOTA_WINDOW_SECONDS


def _key(owner: str, start: int) -> str:
    return f"quota:submissions:{owner}:{start}"


@contextmanager
def _cache_reachable() -> Iterator[None]:
    """A cache that is down means no way to count, so no way to admit: 503, not a free pass."""
    try:
        yield
    except Exception as exc:
        raise DependencyUnavailable({"cache": str(exc) or type(exc).__name__}) from exc


class SubmissionThrottle(BaseThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        caller = caller_for(request)
        now = clock()
        start = window_start(now)
        window = settings.QUOTA_WINDOW_SECONDS
        key = _key(caller.owner, start)
        with _cache_reachable():
            cache.add(key, 0, timeout=window + 1)
            try:
                used = cache.incr(key)
            except ValueError:  # the key expired between add and incr: a new window began
                cache.add(key, 0, timeout=window + 1)
                used = cache.incr(key)
        if used > caller.submissions_per_window:
            retry_after = max(1, math.ceil(start + window - now))
            raise TooManySubmissions(caller.submissions_per_window, window, retry_after)
        return True


def submissions_used(owner: str) -> tuple[int, int]:
    """(submissions counted in the current window, seconds until it resets), for GET /me."""
    now = clock()
    start = window_start(now)
    with _cache_reachable():
        used = cache.get(_key(owner, start), 0)
    return used, max(1, math.ceil(start + settings.QUOTA_WINDOW_SECONDS - now))
