"""Per-window quotas on the shared cache: task submissions (a DRF throttle) and records saved.

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

from accounts.callers import caller_for, owner_of
from core.errors import DependencyUnavailable
from core.quotas import QuotaExceeded, TooManySubmissions

clock = time.time  # replaceable, so tests open and close windows at will


def window_start(now: float) -> int:
    return int(now // settings.QUOTA_WINDOW_SECONDS) * settings.QUOTA_WINDOW_SECONDS


def _key(owner: str, start: int, counter: str = "submissions") -> str:
    return f"quota:{counter}:{owner}:{start}"


@contextmanager
def _cache_reachable() -> Iterator[None]:
    """A cache that is down means no way to count, so no way to admit: 503, not a free pass."""
    try:
        yield
    except Exception as exc:
        raise DependencyUnavailable({"cache": str(exc) or type(exc).__name__}) from exc


def charge(owner: str, counter: str, amount: int = 1) -> tuple[int, int]:
    """Count `amount` against the owner's `counter` in this window (attempts count, admitted or
    not). Returns (the total now, seconds until the window resets)."""
    now = clock()
    start = window_start(now)
    window = settings.QUOTA_WINDOW_SECONDS
    key = _key(owner, start, counter)
    with _cache_reachable():
        cache.add(key, 0, timeout=window + 1)
        try:
            used = cache.incr(key, amount)
        except ValueError:  # the key expired between add and incr: a new window began
            cache.add(key, 0, timeout=window + 1)
            used = cache.incr(key, amount)
    return used, max(1, math.ceil(start + window - now))


class SubmissionThrottle(BaseThrottle):
    def allow_request(self, request: Request, view: Any) -> bool:
        charge_submissions(request, 1)
        return True


class BatchSubmissionThrottle(BaseThrottle):
    """POST /tasks/batch: each task of the batch is a submission."""

    def allow_request(self, request: Request, view: Any) -> bool:
        data = request.data
        charge_submissions(request, min(len(data), settings.TASK_MAX_BATCH) if isinstance(data, list) and data else 1)
        return True


def charge_submissions(request: Request, amount: int) -> None:
    caller = caller_for(request)
    used, retry_after = charge(caller.owner, "submissions", amount)
    if used > caller.submissions_per_window:
        raise TooManySubmissions(caller.submissions_per_window, settings.QUOTA_WINDOW_SECONDS, retry_after)


def charge_records(request: Request, *, items: int, size: int) -> None:
    """POST /new: records and bytes of text one caller may save per window (an anonymous
    caller once stored 200 MB in 2.6 s). Raises QuotaExceeded (429) past either."""
    anonymous = not request.user.is_authenticated
    limits = {
        "records": settings.RECORDS_QUOTA_ANON_ITEMS if anonymous else settings.RECORDS_QUOTA_USER_ITEMS,
        "record_bytes": settings.RECORDS_QUOTA_ANON_BYTES if anonymous else settings.RECORDS_QUOTA_USER_BYTES,
    }
    owner = owner_of(request)
    for counter, amount in (("records", items), ("record_bytes", size)):
        used, retry_after = charge(owner, counter, amount)
        limit = limits[counter]
        if used > limit:
            unit = "records" if counter == "records" else "bytes of text"
            detail = (
                f"You may save {limit:,} {unit} per {settings.QUOTA_WINDOW_SECONDS} s; this request would make "
                f"{used:,}. Try again in {retry_after} s."
            )
            raise QuotaExceeded(counter, limit=limit, used=used, retry_after=retry_after, detail=detail)


def counted(owner: str, counter: str) -> tuple[int, int]:
    """(what the owner's `counter` holds in the current window, seconds until it resets)."""
    now = clock()
    start = window_start(now)
    with _cache_reachable():
        used = cache.get(_key(owner, start, counter), 0)
    return used, max(1, math.ceil(start + settings.QUOTA_WINDOW_SECONDS - now))


def submissions_used(owner: str) -> tuple[int, int]:
    """(submissions counted in the current window, seconds until it resets), for GET /me."""
    return counted(owner, "submissions")
