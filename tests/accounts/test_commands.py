"""`create_api_key` and `revoke_api_key`."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts import keys

pytestmark = pytest.mark.django_db


def create(*args: str) -> str:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def test_create_makes_the_user_when_asked_and_prints_only_the_key():
    with pytest.raises(CommandError, match="--create-user"):
        create("bob")
    key = create("bob", "--create-user", "--name", "ci")
    api_key = keys.verify(key)
    assert api_key.user.username == "bob" and api_key.name == "ci" and api_key.expires_at is None
    assert keys.verify(create("bob")).user == api_key.user  # a second key for the same user


def test_create_with_expiry():
    get_user_model().objects.create_user("carol")
    api_key = keys.verify(create("carol", "--expires-in-days", "2"))
    assert api_key.expires_at is not None
    with pytest.raises(CommandError):
        create("carol", "--expires-in-days", "0")


def test_revoke_by_key_by_prefix_and_by_user():
    first, second, third = (create("dave", "--create-user") for _ in range(3))
    out = StringIO()
    call_command("revoke_api_key", first, stdout=out)
    call_command("revoke_api_key", keys.verify(second).prefix, stdout=out)
    for key in (first, second):
        with pytest.raises(keys.KeyRejected, match="revoked"):
            keys.verify(key)
    keys.verify(third)
    call_command("revoke_api_key", "--user", "dave", stdout=out)
    with pytest.raises(keys.KeyRejected, match="revoked"):
        keys.verify(third)
    assert "revoked 1 key(s), 2 already revoked" in out.getvalue()
    with pytest.raises(CommandError, match="No such key"):
        call_command("revoke_api_key", "tsk_nope_x", stdout=out)
