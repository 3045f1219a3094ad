"""The admin: keys issued (shown once) and revoked there, quotas edited per user, every task visible to staff."""

import re

import pytest
from django.contrib.auth import get_user_model

from accounts import keys
from accounts.models import ApiKey, Quota
from tasks import services
from tests.support import make_caller

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = get_user_model().objects.create_superuser("root", password="secret-pass")
    client.force_login(user)
    return client


def test_login_page_is_served(client):
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.default_quotas
def test_admin_login_is_throttled_per_username_and_logged(client, caplog):
    """Issue 25 item 6: 40 wrong passwords for one username in 42 s all answered 200."""
    get_user_model().objects.create_superuser("root", password="secret-pass")
    guesses = [client.post("/admin/login/", {"username": "root", "password": f"guess-{n}"}) for n in range(12)]
    assert [response.status_code for response in guesses] == [200] * 10 + [429] * 2  # LOGIN_FAILURES_PER_USERNAME
    assert int(guesses[-1]["Retry-After"]) >= 1 and "failed logins for this username" in guesses[-1].content.decode()
    assert "admin login refused for 'root'" in caplog.text
    refused = client.post("/admin/login/", {"username": "root", "password": "secret-pass"})
    assert refused.status_code == 429  # even the right password waits out the window
    assert client.post("/admin/login/", {"username": "other", "password": "x"}).status_code == 200


@pytest.mark.default_quotas
def test_admin_login_attempts_are_throttled_per_address(client, settings):
    names = [f"user{n}" for n in range(settings.LOGIN_ATTEMPTS_PER_ADDRESS + 1)]
    codes = [client.post("/admin/login/", {"username": name, "password": "x"}).status_code for name in names]
    assert codes == [200] * settings.LOGIN_ATTEMPTS_PER_ADDRESS + [429]


def test_adding_a_key_shows_it_once_and_stores_its_hash(admin):
    owner = get_user_model().objects.create_user("alice")
    response = admin.post("/admin/accounts/apikey/add/", {"user": owner.pk, "name": "laptop"}, follow=True)
    assert response.status_code == 200
    shown = re.search(r"tsk_[0-9a-f]{12}_[\w-]+", response.content.decode()).group()
    assert keys.verify(shown).user == owner and keys.verify(shown).name == "laptop"
    listing = admin.get("/admin/accounts/apikey/").content.decode()
    assert shown not in listing and keys.verify(shown).prefix in listing


def test_revoke_action(admin):
    owner = get_user_model().objects.create_user("alice")
    api_key, key = keys.issue(owner)
    admin.post("/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [api_key.pk]})
    with pytest.raises(keys.KeyRejected, match="revoked"):
        keys.verify(key)
    assert ApiKey.objects.get().revoked_at is not None


def test_quota_is_edited_on_the_user_page(admin):
    owner = get_user_model().objects.create_user("alice")
    page = admin.get(f"/admin/auth/user/{owner.pk}/change/").content.decode()
    assert "quota-0-max_in_progress" in page and "Quota (blank fields" in page
    Quota.objects.create(user=owner, max_in_progress=9)
    assert "quota-0-max_in_progress" in admin.get(f"/admin/auth/user/{owner.pk}/change/").content.decode()


def test_staff_see_every_callers_tasks(admin):
    alice = get_user_model().objects.create_user("alice")
    mine = services.submit_task(params={"seconds": 0}, caller=make_caller(f"user:{alice.pk}")).task
    theirs = services.submit_task(params={"seconds": 0}, caller=make_caller("anon:10.1.2.3", anonymous=True)).task
    page = admin.get("/admin/tasks/taskrecord/").content.decode()
    assert str(mine.id) in page and str(theirs.id) in page
    assert "alice" in page and "anonymous (10.1.2.3)" in page
    only_alice = admin.get(f"/admin/tasks/taskrecord/?owner=user:{alice.pk}").content.decode()
    assert str(mine.id) in only_alice and str(theirs.id) not in only_alice
    assert admin.get("/admin/tasks/taskrecord/?cursor=garbage").status_code == 200


def test_non_staff_cannot_reach_the_admin(client):
    client.force_login(get_user_model().objects.create_user("mallory", password="x"))
    assert client.get("/admin/tasks/taskrecord/").status_code == 302  # to the login page


@pytest.mark.django_db
def test_the_quota_form_has_a_field_per_declared_limit_and_stores_them_per_kind(admin):
    from accounts.admin import QuotaForm

    owner = get_user_model().objects.create_user("limited")
    page = admin.get(f"/admin/auth/user/{owner.pk}/change/").content.decode()
    assert "quota-0-code__max_time_s" in page and "quota-0-image__max_pixels" in page
    form = QuotaForm(data={"code__max_time_s": "2.5", "image__max_steps": "3"}, instance=Quota(user=owner))
    assert form.is_valid(), form.errors
    assert form.save().kind_limits == {"code": {"max_time_s": 2.5}, "image": {"max_steps": 3}}
    assert QuotaForm(instance=Quota.objects.get(user=owner)).fields["image__max_steps"].initial == 3
    assert not QuotaForm(data={"code__max_memory_mb": "1"}, instance=Quota(user=owner)).is_valid()  # under 16 MB
