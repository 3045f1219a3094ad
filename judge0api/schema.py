"""Tells drf-spectacular that the Judge0 endpoints take the API key as `X-Auth-Token` too."""

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from accounts.permissions import KeyRequired


class Judge0TokenScheme(OpenApiAuthenticationExtension):
    target_class = "judge0api.authentication.Judge0Authentication"
    name = "Judge0AuthToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Auth-Token",
            "description": "The API key, as Judge0's clients send it (`Authorization: Bearer` works too).",
        }

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list]]:
        keyed = [{"ApiKey": []}, {self.name: []}]
        needs_key = any(isinstance(p, KeyRequired) for p in auto_schema.view.get_permissions())
        return keyed if needs_key or not settings.ALLOW_ANONYMOUS else [*keyed, {}]
