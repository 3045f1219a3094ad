"""Registration, log-in and log-out: the course client's way in. A login token is an API key
named `login` that expires after LOGIN_TOKEN_TTL, so it works everywhere a key does."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import keys
from accounts.errors import InvalidCredentials, NotALoginToken, RegistrationClosed, UsernameTaken
from accounts.models import ApiKey
from accounts.throttles import charge, counted
from core.identity import anonymous_owner
from core.quotas import QuotaExceeded

LOGIN_KEY_NAME = "login"


def register(*, username: str, password: str, address: str) -> AbstractBaseUser:
    """A new user; refused when registration is off, over the address's rate, or the name is taken."""
    if not settings.ALLOW_REGISTRATION:
        raise RegistrationClosed
    limit = settings.REGISTRATIONS_PER_ADDRESS
    _within("registrations", anonymous_owner(address), limit, "registrations from your address")
    try:
        with transaction.atomic():
            return get_user_model().objects.create_user(username=username, password=password)
    except IntegrityError:
        raise UsernameTaken from None


def log_in(*, username: str, password: str, address: str) -> tuple[str, datetime]:
    """(token, when it expires). Throttled as `admit_login` says."""
    admit_login(username=username, address=address)
    user = authenticate(username=username, password=password)  # hashes even for unknown users: same timing
    if user is None or not user.is_active:
        login_failed(username=username)
        raise InvalidCredentials
    expires_at = timezone.now() + timedelta(seconds=settings.LOGIN_TOKEN_TTL)
    _, token = keys.issue(user, name=LOGIN_KEY_NAME, expires_at=expires_at)
    return token, expires_at


def admit_login(*, username: str, address: str) -> None:
    """Before any password is checked (for POST /login and the admin's login page alike): every
    attempt counts against the address, and a username past its failures is refused."""
    _within(
        "login_attempts",
        anonymous_owner(address),
        settings.LOGIN_ATTEMPTS_PER_ADDRESS,
        "login attempts from your address",
    )
    failures, retry_after = counted(_failures_key(username), "login_failures")
    if failures >= settings.LOGIN_FAILURES_PER_USERNAME:
        raise _too_many(
            "login_failures",
            settings.LOGIN_FAILURES_PER_USERNAME,
            failures,
            retry_after,
            "failed logins for this username",
        )


def login_failed(*, username: str) -> None:
    charge(_failures_key(username), "login_failures")


def _failures_key(username: str) -> str:
    return f"username:{username.lower()}"


def log_out(*, api_key: ApiKey) -> None:
    """Revoke the token the request came with, if POST /login issued it (NotALoginToken if not)."""
    if api_key.name != LOGIN_KEY_NAME or api_key.expires_at is None:
        raise NotALoginToken
    keys.revoke(api_key)


def _within(counter: str, owner: str, limit: int, what: str) -> None:
    used, retry_after = charge(owner, counter)
    if used > limit:
        raise _too_many(counter, limit, used, retry_after, what)


def _too_many(counter: str, limit: int, used: int, retry_after: int, what: str) -> QuotaExceeded:
    detail = f"Too many {what}: at most {limit} per {settings.QUOTA_WINDOW_SECONDS} s. Try again in {retry_after} s."
    return QuotaExceeded(counter, limit=limit, used=used, retry_after=retry_after, detail=detail)
