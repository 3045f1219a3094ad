"""Issuing and checking API keys.

A key is `tsk_<prefix>_<secret>` with 256 random bits of secret. The prefix finds the row; the
SHA-256 of the whole key is compared in constant time. A fast hash is right here: a slow one
(PBKDF2, bcrypt) defends guessable passwords, and would cost every API call tens of ms.

A verified key is remembered in this process for API_KEY_CACHE_SECONDS: the lookup (~0.4 ms)
was most of the cost of a keyed status call. So a revocation elsewhere takes up to that long
to reach this process; here, it is at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from accounts.models import ApiKey

SCHEME = "tsk_"
# Written back at most this often: a write per request would make every call a transaction.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_UNKNOWN = hashlib.sha256(b"no such key").hexdigest()
_CACHE_LIMIT = 10_000
_verified: dict[str, tuple[float, ApiKey]] = {}  # digest -> (when verified, the key)


class KeyRejected(Exception):
    """The key is not one this service issued, or no longer valid; the message says which."""


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue(user: AbstractBaseUser, *, name: str = "", expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """A new key for `user`; the plaintext is returned once and never stored."""
    prefix = secrets.token_hex(6)
    key = f"{SCHEME}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(user=user, name=name, prefix=prefix, digest=digest(key), expires_at=expires_at)
    return api_key, key


def verify(key: str) -> ApiKey:
    """The valid key matching `key` (with its user and quota loaded); raises KeyRejected otherwise."""
    key_digest = digest(key)
    cached = _verified.get(key_digest)
    if cached is not None and time.monotonic() - cached[0] < settings.API_KEY_CACHE_SECONDS:
        api_key = cached[1]
        if api_key.expires_at is None or api_key.expires_at > timezone.now():
            return api_key
    api_key = _lookup(key, key_digest)
    if settings.API_KEY_CACHE_SECONDS > 0:
        if len(_verified) >= _CACHE_LIMIT:
            _verified.clear()
        _verified[key_digest] = (time.monotonic(), api_key)
    return api_key


def _lookup(key: str, key_digest: str) -> ApiKey:
    prefix = key.removeprefix(SCHEME).split("_", 1)[0] if key.startswith(SCHEME) else ""
    found = ApiKey.objects.select_related("user", "user__quota").filter(prefix=prefix).first() if prefix else None
    # Compare even when nothing was found, so a miss takes as long as a wrong secret.
    if not hmac.compare_digest(found.digest if found else _UNKNOWN, key_digest) or found is None:
        raise KeyRejected("Invalid API key.")
    now = timezone.now()
    if found.revoked_at is not None:
        raise KeyRejected("This API key was revoked.")
    if found.expires_at is not None and found.expires_at <= now:
        raise KeyRejected(f"This API key expired at {found.expires_at.isoformat()}.")
    if not found.user.is_active:
        raise KeyRejected("This API key's user is disabled.")
    if found.last_used_at is None or now - found.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=found.pk).update(last_used_at=now)
    return found


def revoke(api_key: ApiKey) -> bool:
    """Revoke the key now; False if it already was."""
    _verified.pop(api_key.digest, None)
    return ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()) == 1


def forget_verified() -> None:
    """Drop every remembered verification (tests; a settings change)."""
    _verified.clear()
