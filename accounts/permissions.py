"""Who may call: anonymous callers only while ALLOW_ANONYMOUS is on; listing always needs a key.

Both raise NotAuthenticated rather than return False: DRF would swap the message for a generic one.
"""

from typing import Any

from django.conf import settings
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class CallerAllowed(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user.is_authenticated or settings.ALLOW_ANONYMOUS:
            return True
        raise NotAuthenticated("This service needs an API key: send `Authorization: Bearer <key>`.")


class KeyRequired(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user.is_authenticated:
            return True
        raise NotAuthenticated(
            "Listing tasks needs an API key: anonymous tasks are never listed; their ids are their only handle."
        )
