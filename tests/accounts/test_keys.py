"""Issuing and verifying API keys: hashed at rest, compared in constant time, revocable, expiring."""

import contextlib
import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts import keys
from accounts.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create_user("alice")


def test_a_key_is_stored_only_as_its_sha256(user):
    api_key, key = keys.issue(user, name="laptop")
    assert key.startswith(f"tsk_{api_key.prefix}_") and len(key) > 50
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_key")
        rows = cursor.fetchall()
    stored = " ".join(str(value) for row in rows for value in row)
    secret = key.split("_", 2)[2]
    assert secret not in stored and key not in stored
    assert api_key.digest == hashlib.sha256(key.encode()).hexdigest()


def test_verify_accepts_the_key_and_loads_its_user(user):
    _, key = keys.issue(user)
    assert keys.verify(key).user == user


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # right prefix, wrong secret
        lambda key: "tsk_000000000000_" + key.split("_", 2)[2],  # unknown prefix
        lambda key: key.removeprefix("tsk_"),  # not this service's format
        lambda key: "",
    ],
)
def test_verify_rejects_keys_it_did_not_issue(user, mangle):
    _, key = keys.issue(user)
    with pytest.raises(keys.KeyRejected, match="Invalid API key"):
        keys.verify(mangle(key))


def test_comparison_is_constant_time_even_when_no_key_matches(user, monkeypatch):
    """Both a wrong secret and an unknown prefix go through hmac.compare_digest on full digests."""
    compared = []
    real = keys.hmac.compare_digest
    monkeypatch.setattr(keys.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    _, key = keys.issue(user)
    for attempt in (key[:-1] + "x", "tsk_ffffffffffff_secret", key):
        with contextlib.suppress(keys.KeyRejected):
            keys.verify(attempt)
    assert len(compared) == 3 and all(len(a) == len(b) == 64 for a, b in compared)


def test_revoked_expired_and_disabled_keys_are_refused(user):
    revoked, revoked_key = keys.issue(user)
    assert keys.revoke(revoked) and not keys.revoke(revoked)
    with pytest.raises(keys.KeyRejected, match="revoked"):
        keys.verify(revoked_key)
    _, expired_key = keys.issue(user, expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(keys.KeyRejected, match="expired"):
        keys.verify(expired_key)
    _, key = keys.issue(user, expires_at=timezone.now() + timedelta(days=1))
    keys.verify(key)
    user.is_active = False
    user.save()
    keys.forget_verified()  # as if API_KEY_CACHE_SECONDS had passed
    with pytest.raises(keys.KeyRejected, match="disabled"):
        keys.verify(key)


def test_last_use_is_written_at_most_once_a_minute(user, django_assert_num_queries, settings):
    settings.API_KEY_CACHE_SECONDS = 0  # every call looks the key up
    api_key, key = keys.issue(user)
    with django_assert_num_queries(2):  # lookup + first write
        keys.verify(key)
    with django_assert_num_queries(1):  # lookup only
        keys.verify(key)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    with django_assert_num_queries(2):
        keys.verify(key)


def test_a_verified_key_is_remembered_briefly(user, django_assert_num_queries, settings):
    api_key, key = keys.issue(user)
    keys.verify(key)
    with django_assert_num_queries(0):
        assert keys.verify(key).pk == api_key.pk
    # Revoked by another process: this one learns it when its memory of the key runs out.
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=timezone.now())
    keys.verify(key)
    settings.API_KEY_CACHE_SECONDS = 0
    with pytest.raises(keys.KeyRejected, match="revoked"):
        keys.verify(key)


def test_revoking_in_this_process_takes_effect_at_once(user):
    api_key, key = keys.issue(user)
    keys.verify(key)
    keys.revoke(api_key)
    with pytest.raises(keys.KeyRejected, match="revoked"):
        keys.verify(key)


def test_a_remembered_key_still_expires_on_time(user):
    _, key = keys.issue(user, expires_at=timezone.now() + timedelta(days=1))
    remembered = keys.verify(key)
    # The day passes: the stored key and the one this process remembers both reach their expiry.
    remembered.expires_at = timezone.now() - timedelta(seconds=1)
    ApiKey.objects.filter(pk=remembered.pk).update(expires_at=remembered.expires_at)
    with pytest.raises(keys.KeyRejected, match="expired"):
        keys.verify(key)
