from kinds.code.kind import isolation
from kinds.image import vips
from tasks import providers
from tasks.api.serializers import TaskStatusSerializer
from tasks.presenters import present_task
from tests.support import assert_problem, make_task


def test_kinds_lists_sleep_with_its_params_schema(api):
    kinds = {kind["name"]: kind for kind in api.get("/kinds").json()}
    schema = kinds["sleep"]["params_schema"]
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"seconds", "size"}
    assert schema["properties"]["size"]["maximum"] == 4096


def test_health_and_readiness(api):
    assert api.get("/healthz").json() == {"status": "ok"}
    checks = {"repository": "ok", "dispatcher": "ok", "sandbox": isolation(), "image_convolutions": vips.engine()}
    assert api.get("/readyz").json() == {"status": "ok", "checks": checks}


def test_readiness_fails_naming_the_component(api):
    providers.executor().shutdown()
    body = assert_problem(api.get("/readyz"), 503, "not-ready")
    assert body["checks"] == {"dispatcher": "shutting down"}


def test_unknown_url_and_wrong_method_are_problems(api):
    assert_problem(api.get("/nope"), 404, "not-found")
    assert_problem(api.get("/status/"), 404)
    assert_problem(api.put("/task"), 405, "method-not-allowed")
    assert_problem(api.get("/task"), 405)


def test_not_acceptable_is_a_problem(api):
    assert_problem(api.get("/healthz", HTTP_ACCEPT="application/xml"), 406)


def test_unexpected_error_is_a_problem_500(api, monkeypatch):
    from tasks import services

    def crash(**kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "get_task", crash)
    api.raise_request_exception = False
    assert_problem(api.get("/status/0b7e1c56-6f5e-4a5e-9b7e-2b0c8c1b2d3e"), 500, "internal-error")


def test_presenter_matches_the_documented_serializer():
    assert set(present_task(make_task())) == set(TaskStatusSerializer().fields)


def test_unreachable_database_is_a_503_not_a_500(api, monkeypatch):
    from django import db

    from tasks import services

    def unreachable(**kwargs):
        raise db.OperationalError("connection refused")

    monkeypatch.setattr(services, "get_task", unreachable)
    body = assert_problem(api.get("/status/0b7e1c56-6f5e-4a5e-9b7e-2b0c8c1b2d3e"), 503, "store-unavailable")
    assert "database" in body["detail"]
