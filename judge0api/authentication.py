"""Judge0's clients send the key as `X-Auth-Token` (its AUTHN_HEADER); `Authorization: Bearer`
works as everywhere else. Either way it is the same API key, checked the same way."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts import keys
from accounts.authentication import ApiKeyAuthentication


class Judge0Authentication(ApiKeyAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        token = request.META.get("HTTP_X_AUTH_TOKEN")
        if token is None or "HTTP_AUTHORIZATION" in request.META:
            return super().authenticate(request)
        try:
            api_key = keys.verify(token.strip())
        except keys.KeyRejected as exc:
            raise AuthenticationFailed(str(exc)) from None
        return api_key.user, api_key
