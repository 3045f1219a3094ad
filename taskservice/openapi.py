"""OpenAPI documentation helpers shared by every app."""

import functools
import threading
from http import HTTPStatus
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from taskservice.problems import CONTENT_TYPE as PROBLEM
from taskservice.serializers import ProblemSerializer

Example = tuple[str, int, str, str] | tuple[str, int, str, str, dict[str, Any]]


def problem(description: str, *examples: Example) -> dict[tuple[int, str], OpenApiResponse]:
    """Problem-details responses for one status code, with (name, status, slug, detail[, extra
    members]) examples."""
    status = examples[0][1]
    return {
        (status, PROBLEM): OpenApiResponse(
            ProblemSerializer,
            description=description,
            examples=[
                OpenApiExample(
                    name,
                    value={
                        "type": f"urn:taskservice:problem:{slug}",
                        "title": HTTPStatus(code).phrase,
                        "status": code,
                        "detail": detail,
                        **(extra[0] if extra else {}),
                    },
                    response_only=True,
                    status_codes=[str(code)],
                )
                for name, code, slug, detail, *extra in examples
            ],
        )
    }


_generating = threading.Lock()


@functools.cache
def _components() -> dict[str, Any]:
    # drf-spectacular's generator is not thread-safe: 30 concurrent first GET /kinds gave 8 x 500.
    with _generating:
        return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


def request_schema(serializer: type[serializers.Serializer]) -> dict[str, Any]:
    """A serializer's request schema as self-contained JSON Schema, cut from this service's
    own OpenAPI document (so the two can never disagree)."""
    components = _components()
    return _inline(components[f"{serializer.__name__}Request"], components)


def _inline(node: Any, components: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(components[node["$ref"].rsplit("/", 1)[-1]], components)
        if list(node) == ["allOf"] and len(node["allOf"]) == 1:
            return _inline(node["allOf"][0], components)
        return {key: _inline(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, components) for item in node]
    return node
