"""The caller of a request, with the quotas that apply to them (settings, then admin overrides)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from tasks.domain import Caller, Ceilings, anonymous_owner, user_owner

_ATTRIBUTE = "taskservice_caller"


def caller_for(request: Request) -> Caller:
    """Built once per request (the throttle and the view both ask)."""
    caller = getattr(request, _ATTRIBUTE, None)
    if caller is None:
        user = request.user
        caller = _user_caller(user) if user.is_authenticated else anonymous_caller(client_address(request))
        setattr(request, _ATTRIBUTE, caller)
    return caller


def client_address(request: Request) -> str:
    """The client's IP: REMOTE_ADDR, or X-Forwarded-For's entry TRUSTED_PROXIES hops back."""
    return BaseThrottle().get_ident(request)


def anonymous_caller(address: str) -> Caller:
    return Caller(
        owner=anonymous_owner(address),
        anonymous=True,
        max_in_progress=settings.QUOTA_ANON_IN_PROGRESS,
        submissions_per_window=settings.QUOTA_ANON_SUBMISSIONS,
        ceilings=Ceilings(
            code_time_s=min(settings.QUOTA_ANON_CODE_TIME_S, settings.CODE_MAX_TIME_S),
            code_memory_mb=min(settings.QUOTA_ANON_CODE_MEMORY_MB, settings.CODE_MAX_MEMORY_MB),
            image_pixels=min(settings.QUOTA_ANON_IMAGE_PIXELS, settings.IMAGE_MAX_PIXELS),
            image_steps=min(settings.QUOTA_ANON_IMAGE_STEPS, settings.IMAGE_MAX_STEPS),
        ),
    )


def _user_caller(user: Any) -> Caller:
    quota = getattr(user, "quota", None)  # loaded with the key: no query here

    def pick(field: str, default: Any) -> Any:
        value = getattr(quota, field, None)
        return default if value is None else value

    return Caller(
        owner=user_owner(user.pk),
        anonymous=False,
        max_in_progress=pick("max_in_progress", settings.QUOTA_USER_IN_PROGRESS),
        submissions_per_window=pick("submissions_per_window", settings.QUOTA_USER_SUBMISSIONS),
        # Ceilings never exceed what the service as a whole allows.
        ceilings=Ceilings(
            code_time_s=min(pick("code_max_time_s", settings.CODE_MAX_TIME_S), settings.CODE_MAX_TIME_S),
            code_memory_mb=min(pick("code_max_memory_mb", settings.CODE_MAX_MEMORY_MB), settings.CODE_MAX_MEMORY_MB),
            image_pixels=min(pick("image_max_pixels", settings.IMAGE_MAX_PIXELS), settings.IMAGE_MAX_PIXELS),
            image_steps=min(pick("image_max_steps", settings.IMAGE_MAX_STEPS), settings.IMAGE_MAX_STEPS),
        ),
    )
