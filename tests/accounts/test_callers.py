"""Who a request's caller is, and which quotas apply: settings, admin overrides, service limits."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.callers import caller_for
from accounts.models import Quota


def request_from(address: str, user=None, forwarded: str | None = None) -> Request:
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = Request(APIRequestFactory().get("/me", **extra))
    request.user = user or AnonymousUser()
    return request


@pytest.mark.default_quotas
def test_anonymous_callers_are_told_apart_by_address_and_get_the_anonymous_quotas(settings):
    caller = caller_for(request_from("10.0.0.7"))
    assert caller.owner == "anon:10.0.0.7" and caller.anonymous
    assert (caller.max_in_progress, caller.submissions_per_window) == (1, 10)
    assert caller.ceilings["code"]["max_time_s"] == 2.0 and caller.ceilings["image"]["max_steps"] == 5


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(settings):
    assert caller_for(request_from("10.0.0.7", forwarded="1.2.3.4")).owner == "anon:10.0.0.7"  # forged
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert caller_for(request_from("10.0.0.7", forwarded="1.2.3.4")).owner == "anon:1.2.3.4"
    # With one trusted proxy, only the entry that proxy appended counts, not what the client sent.
    assert caller_for(request_from("10.0.0.7", forwarded="6.6.6.6, 1.2.3.4")).owner == "anon:1.2.3.4"


@pytest.mark.default_quotas
@pytest.mark.django_db
def test_user_quotas_come_from_the_settings_then_the_admin_capped_by_the_service_limits(settings):
    settings.CODE_MAX_TIME_S = 10.0
    user = get_user_model().objects.create_user("alice")
    caller = caller_for(request_from("10.0.0.7", user))
    assert caller.owner == f"user:{user.pk}" and not caller.anonymous
    assert (caller.max_in_progress, caller.submissions_per_window, caller.ceilings["code"]["max_time_s"]) == (
        4,
        60,
        10.0,
    )
    Quota.objects.create(
        user=user, max_in_progress=9, kind_limits={"code": {"max_time_s": 500.0}, "image": {"max_steps": 3}}
    )
    user = get_user_model().objects.select_related("quota").get(pk=user.pk)
    caller = caller_for(request_from("10.0.0.7", user))
    assert caller.max_in_progress == 9 and caller.submissions_per_window == 60  # blank: the default
    assert caller.ceilings["code"]["max_time_s"] == 10.0  # never above CODE_MAX_TIME_S
    assert caller.ceilings["image"]["max_steps"] == 3


def test_anonymous_ceilings_never_exceed_the_service_limits(settings):
    settings.QUOTA_ANON_IMAGE_PIXELS = 10**12
    settings.IMAGE_MAX_PIXELS = 1000
    assert caller_for(request_from("10.0.0.7")).ceilings["image"]["max_pixels"] == 1000


def test_the_caller_is_worked_out_once_per_request():
    request = request_from("10.0.0.7")
    assert caller_for(request) is caller_for(request)


def test_anonymous_ceilings_are_built_once_per_settings_and_read_only(settings):
    first, second = caller_for(request_from("10.0.0.7")), caller_for(request_from("10.0.0.8"))
    assert first.ceilings is second.ceilings  # not rebuilt for every submit
    with pytest.raises(TypeError):
        first.ceilings["image"]["max_steps"] = 10**6  # shared by every caller: nobody may change it
    settings.QUOTA_ANON_IMAGE_STEPS = 2
    assert caller_for(request_from("10.0.0.7")).ceilings["image"]["max_steps"] == 2
