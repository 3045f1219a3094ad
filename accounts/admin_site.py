"""The admin site, with its login page throttled as `POST /login` is (per address, per username).

Django's admin login checks passwords as fast as it is asked: 40 guesses at one username in 42 s
all answered 200. Attempts now count against the caller's address and failures against the
username, in the same counters as `POST /login`; past either the page answers 429 with
Retry-After, and the refusal is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from accounts import services
from accounts.callers import client_address
from core.quotas import QuotaExceeded

logger = logging.getLogger(__name__)


class ThrottledAdminSite(admin.AdminSite):
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        username = str(request.POST.get("username", ""))[:150]
        address = client_address(request)
        try:
            services.admit_login(username=username, address=address)
        except QuotaExceeded as refused:
            logger.warning("admin login refused for %r from %s: %s", username, address, refused.quota)
            response = HttpResponse(str(refused), status=429, content_type="text/plain; charset=utf-8")
            response["Retry-After"] = str(refused.retry_after)
            return response
        response = super().login(request, extra_context)
        if not request.user.is_authenticated:
            services.login_failed(username=username)
            logger.info("admin login failed for %r from %s", username, address)
        return response
