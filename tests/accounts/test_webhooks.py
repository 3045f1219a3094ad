"""Users' webhook secrets: made once, read back, none for owners that are not users."""

import base64

import pytest
from django.contrib.auth import get_user_model

from accounts import webhooks


@pytest.mark.django_db
def test_a_users_secret_is_made_once_and_read_back():
    user = get_user_model().objects.create_user("hooked")
    secret = webhooks.secret_for_owner(f"user:{user.pk}")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert webhooks.secret_for_owner(f"user:{user.pk}") == secret == webhooks.secret_of(user.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("owner", ["anon:10.0.0.1", "user:999999"])
def test_anonymous_and_vanished_owners_have_none(owner):
    assert webhooks.secret_for_owner(owner) is None
