"""Tells drf-spectacular about the bearer scheme, so Swagger UI's "Authorize" button works."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated

from accounts.permissions import KeyRequired
from core.quotas import QuotaExceeded
from httpapi.openapi import problem


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "tsk_<prefix>_<secret>",
            "description": "An API key from `manage.py create_api_key` or the admin.",
        }

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list] | list[dict[str, list]]:
        # `{}` says "or no credentials at all": true where anonymous calls are let in.
        keyed = {self.name: []}
        needs_key = any(isinstance(p, KeyRequired) for p in auto_schema.view.get_permissions())
        return keyed if needs_key or not settings.ALLOW_ANONYMOUS else [keyed, {}]


UNAUTHORIZED = problem(
    "No valid API key: it is missing (while anonymous use is off), wrong, revoked or expired. "
    "`WWW-Authenticate: Bearer` says how to authenticate.",
    ("Bad key", AuthenticationFailed, "Invalid API key."),
    ("No key", NotAuthenticated, "This service needs an API key: send `Authorization: Bearer <key>`."),
)

QUOTA_EXCEEDED = problem(
    "A quota is used up: `quota` names it, with its `limit` and what is `used`; `Retry-After` says when to try again.",
    (
        "Too many in progress",
        QuotaExceeded,
        "You have 4 tasks in progress, your limit; wait for one to finish (or cancel one).",
        {"quota": "in_progress", "limit": 4, "used": 4},
    ),
    (
        "Too many submissions",
        QuotaExceeded,
        "You made all 60 submissions your quota allows per 60 s; retry in 17 s.",
        {"quota": "submissions", "limit": 60, "used": 60},
    ),
)
