"""Who calls: the owner a request acts as, and, for submissions, the quotas that apply to them
(the settings, then the user's own overrides from the admin, never above the service limits)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from core import limits
from core.identity import Caller, anonymous_owner, user_owner

_ATTRIBUTE = "taskservice_caller"


def owner_of(request: Request) -> str:
    """Whose tasks the request may touch: all that reads need, so they work out no quotas."""
    user = request.user
    return user_owner(user.pk) if user.is_authenticated else anonymous_owner(client_address(request))


def client_address(request: Request) -> str:
    """The client's IP: REMOTE_ADDR, or X-Forwarded-For's entry TRUSTED_PROXIES hops back."""
    return BaseThrottle().get_ident(request)


def caller_for(request: Request) -> Caller:
    """The owner with their quotas; worked out once per request (the throttle and the view both ask)."""
    caller = getattr(request, _ATTRIBUTE, None)
    if caller is None:
        caller = _user_caller(request) if request.user.is_authenticated else _anonymous_caller(request)
        setattr(request, _ATTRIBUTE, caller)
    return caller


def _anonymous_caller(request: Request) -> Caller:
    return Caller(
        owner=owner_of(request),
        anonymous=True,
        max_in_progress=settings.QUOTA_ANON_IN_PROGRESS,
        submissions_per_window=settings.QUOTA_ANON_SUBMISSIONS,
        max_stored_bytes=min(settings.QUOTA_ANON_STORED_BYTES, settings.TASK_MAX_STORED_BYTES_PER_OWNER),
        ceilings=_anonymous_ceilings(),
    )


def _user_caller(request: Request) -> Caller:
    quota = getattr(request.user, "quota", None)  # loaded with the key: no query here

    def pick(field: str, default: Any) -> Any:
        value = getattr(quota, field, None)
        return default if value is None else value

    own: dict[str, dict[str, float]] = pick("kind_limits", {})
    return Caller(
        owner=owner_of(request),
        anonymous=False,
        max_in_progress=pick("max_in_progress", settings.QUOTA_USER_IN_PROGRESS),
        submissions_per_window=pick("submissions_per_window", settings.QUOTA_USER_SUBMISSIONS),
        max_stored_bytes=settings.TASK_MAX_STORED_BYTES_PER_OWNER,
        ceilings=_user_ceilings(own) if own else _maxima(),
    )


# Ceilings follow only the settings (and a user's own overrides): built once per settings, not
# on every submit (for all kinds, they were 30 us of each anonymous POST /task).
@functools.cache
def _anonymous_ceilings() -> Mapping[str, Mapping[str, float]]:
    return _frozen(
        {scope: {limit.name: limit.anonymous() for limit in own} for scope, own in limits.declared().items()}
    )


@functools.cache
def _maxima() -> Mapping[str, Mapping[str, float]]:
    return _frozen({scope: limits.maxima(own) for scope, own in limits.declared().items()})


def _user_ceilings(own: Mapping[str, Mapping[str, float]]) -> Mapping[str, Mapping[str, float]]:
    """A user's overrides over the service maxima, never above them."""
    return {
        scope: {limit.name: limit.capped(own.get(scope, {}).get(limit.name, limit.maximum())) for limit in declared}
        for scope, declared in limits.declared().items()
    }


def _frozen(ceilings: dict[str, dict[str, float]]) -> Mapping[str, Mapping[str, float]]:
    """Shared by every caller, so read-only."""
    return MappingProxyType({kind: MappingProxyType(limits) for kind, limits in ceilings.items()})


@receiver(setting_changed)
def _forget_ceilings(**_: Any) -> None:
    _anonymous_ceilings.cache_clear()
    _maxima.cache_clear()
