"""Quota refusals: a caller used up one of their rations (429 with Retry-After)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from core.errors import ServiceError


class QuotaExceeded(ServiceError):
    """The caller used up one of their quotas; answered as 429 with Retry-After.

    `retry_after` is None when nobody can know (a task in progress finishes when it finishes).
    """

    status = 429
    slug = "quota-exceeded"
    title = "Quota exceeded"

    def __init__(self, quota: str, *, limit: int, used: int, retry_after: int | None, detail: str) -> None:
        self.quota = quota
        self.limit = limit
        self.used = used
        self.retry_after = retry_after
        super().__init__(detail)

    def problem_extra(self) -> dict[str, Any]:
        return {"quota": self.quota, "limit": self.limit, "used": self.used}

    def problem_headers(self) -> dict[str, str]:
        retry_after = self.retry_after if self.retry_after is not None else settings.TASK_RETRY_AFTER_SECONDS
        return {"Retry-After": str(retry_after)}


class TooManySubmissions(QuotaExceeded):
    def __init__(self, limit: int, window_seconds: int, retry_after: int) -> None:
        super().__init__(
            "submissions",
            limit=limit,
            used=limit,
            retry_after=retry_after,
            detail=f"You made all {limit} submissions your quota allows per {window_seconds} s; "
            f"retry in {retry_after} s.",
        )
