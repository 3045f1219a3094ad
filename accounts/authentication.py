"""`Authorization: Bearer <key>` for DRF. No header: anonymous. A bad key: always 401."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts import keys

REALM = 'Bearer realm="taskservice"'


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthenticationFailed("Send the API key as `Authorization: Bearer <key>`.")
        try:
            api_key = keys.verify(key.strip())
        except keys.KeyRejected as exc:
            raise AuthenticationFailed(str(exc)) from None
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        """Makes DRF answer 401 (not 403) with `WWW-Authenticate` when a key is missing or bad."""
        return REALM
