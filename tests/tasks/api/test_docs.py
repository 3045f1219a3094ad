import re

import pytest
from django.core.management import call_command

from kinds.image.ops import OPS


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_schema_documents_every_route(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["paths"]) == {
        "/task",
        "/task/{task_id}",
        "/task/{task_id}/cancel",
        "/status/{task_id}",
        "/result/{task_id}",
        "/tasks",
        "/tasks/batch",
        "/me",
        "/register",
        "/login",
        "/logout",
        "/kinds",
        "/filters",
        "/languages",
        "/healthz",
        "/readyz",
        "/metrics",
        "/new",
        "/all",
        "/{key}",
        "/judge0/about",
        "/judge0/config_info",
        "/judge0/statuses",
        "/judge0/languages",
        "/judge0/languages/{language_id}",
        "/judge0/submissions",
        "/judge0/submissions/batch",
        "/judge0/submissions/{token}",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert operation["responses"], (method, path)
    submit = schema["paths"]["/task"]["post"]
    assert "application/problem+json" in submit["responses"]["400"]["content"]
    assert submit["requestBody"]["content"]["application/json"]["examples"]
    upload = submit["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert upload["$ref"].endswith("/ImageUploadRequest")
    image_field = schema["components"]["schemas"]["ImageUploadRequest"]["properties"]["image"]
    assert image_field["format"] == "binary"  # Swagger UI shows a file picker for it
    assert submit["security"] == [{"ApiKey": []}, {}]  # a key, or (ALLOW_ANONYMOUS) none
    assert schema["paths"]["/tasks"]["get"]["security"] == [{"ApiKey": []}]  # listing always needs one
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "tsk_<prefix>_<secret>",
        "description": "An API key from `manage.py create_api_key` or the admin.",
    }
    assert "security" not in schema["paths"]["/kinds"]["get"]  # public
    assert {"401", "429"} <= set(submit["responses"])
    results = schema["paths"]["/result/{task_id}"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "image/png", "image/jpeg", "image/webp"} <= set(results)


def test_swagger_and_redoc_are_served_offline(api):
    for url in ("/api/docs/", "/api/redoc/"):
        page = api.get(url).content.decode()
        assets = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert assets and all(asset.startswith("/static/") for asset in assets), assets
        for asset in assets:
            response = api.get(asset)
            assert response.status_code == 200, asset
            b"".join(response.streaming_content) if response.streaming else response.content


def test_every_filter_step_is_mapped_by_its_op(api):
    """Client generators honour the discriminator: each op must name its own step schema (every
    key was null, so openapi-python-client refused the document)."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    schemas = schema["components"]["schemas"]
    step = schemas["FilterStepRequest"]
    mapping = step["discriminator"]["mapping"]
    assert set(mapping) == set(OPS)
    for op, ref in mapping.items():
        assert schemas[ref.rsplit("/", 1)[1]]["properties"]["op"]["enum"] == [op]
    assert sorted(mapping.values()) == sorted(ref["$ref"] for ref in step["oneOf"])


@pytest.mark.django_db
def test_schema_titles_are_those_the_responses_send(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    documented = {}
    for operations in schema["paths"].values():
        for operation in operations.values():
            for response in operation["responses"].values():
                problems = response.get("content", {}).get("application/problem+json", {})
                for example in problems.get("examples", {}).values():
                    value = example["value"]
                    documented.setdefault(value["type"], set()).add(value["title"])
    assert all(len(titles) == 1 for titles in documented.values()), documented
    answers = [
        api.get("/status/5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1"),  # task-not-found
        api.post("/task", {"kind": "nope"}, format="json"),  # unknown-kind
        api.post("/task", {"kind": "sleep", "params": {"seconds": -1}}, format="json"),  # invalid-params
        api.get("/tasks?status=done", HTTP_AUTHORIZATION="Bearer tsk_nope_nope"),  # authentication-failed
        api.get("/e48d41d0-6e53-490a-9d9a-fd4337f28038"),  # record-not-found
    ]
    for answer in answers:
        body = answer.json()
        assert documented[body["type"]] == {body["title"]}, body


def test_the_new_submit_features_are_in_the_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    submit, status = schema["paths"]["/task"]["post"], schema["paths"]["/status/{task_id}"]["get"]
    headers = {parameter["name"] for parameter in submit["parameters"] if parameter["in"] == "header"}
    assert {"Prefer", "Idempotency-Key"} <= headers
    assert {"200", "201", "409", "422"} <= set(submit["responses"])
    assert set(submit["responses"]["200"]["headers"]) == {"Preference-Applied", "Idempotent-Replayed"}
    [wait] = [parameter for parameter in status["parameters"] if parameter["name"] == "wait"]
    assert wait["in"] == "query" and not wait.get("required") and "429" in status["responses"]
    batch = schema["paths"]["/tasks/batch"]["post"]
    assert set(batch["requestBody"]["content"]) == {"application/json"}
    assert batch["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    assert schema["paths"]["/new"]["post"]["responses"]["422"]
