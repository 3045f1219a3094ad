"""Users' webhook secrets: made on first use (GET /me, or a webhook's first delivery)."""

from __future__ import annotations

import base64
import secrets

from django.contrib.auth import get_user_model

from accounts.models import WebhookSecret
from core.identity import USER_OWNER_PREFIX

SECRET_PREFIX = "whsec_"  # says what the string is, where it is pasted
SECRET_BYTES = 24


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_of(user_id: int) -> str:
    return WebhookSecret.objects.get_or_create(user_id=user_id, defaults={"secret": new_secret()})[0].secret


def secret_for_owner(owner: str) -> str | None:
    """The secret of a task owner that is a user (anonymous tasks have none)."""
    if not owner.startswith(USER_OWNER_PREFIX):
        return None
    user_id = int(owner.removeprefix(USER_OWNER_PREFIX))
    known = WebhookSecret.objects.filter(user_id=user_id).values_list("secret", flat=True).first()
    if known is not None:  # every delivery but a user's very first: one query
        return known
    return secret_of(user_id) if get_user_model().objects.filter(pk=user_id).exists() else None
