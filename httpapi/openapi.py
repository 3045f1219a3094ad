"""OpenAPI documentation helpers shared by every app."""

import functools
import threading
from http import HTTPStatus
from typing import Any

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import APIException

from core.errors import ServiceError
from httpapi.problems import CONTENT_TYPE as PROBLEM
from httpapi.problems import TYPE_PREFIX
from httpapi.serializers import ProblemSerializer

# (example name, the error class, its detail[, extra members]): status, type and title come
# from the class, as the responses' do.
Example = tuple[str, type[Exception], str] | tuple[str, type[Exception], str, dict[str, Any]]


def meaning(error: type[Exception]) -> tuple[int, str, str]:
    """(status, problem slug, title) that a response for `error` carries (httpapi.problems)."""
    if issubclass(error, ServiceError):
        return error.status, error.slug, error.title
    if issubclass(error, APIException):
        return error.status_code, str(error.default_code).replace("_", "-"), HTTPStatus(error.status_code).phrase
    raise TypeError(f"{error.__name__} has no HTTP meaning: not a ServiceError or an APIException")


def problem(description: str, *examples: Example) -> dict[tuple[int, str], OpenApiResponse]:
    """Problem-details responses for one status code, with examples of the errors behind them."""
    status = meaning(examples[0][1])[0]
    return {
        (status, PROBLEM): OpenApiResponse(
            ProblemSerializer,
            description=description,
            examples=[_example(*example) for example in examples],
        )
    }


def _example(name: str, error: type[Exception], detail: str, extra: dict[str, Any] | None = None) -> OpenApiExample:
    status, slug, title = meaning(error)
    return OpenApiExample(
        name,
        value={"type": TYPE_PREFIX + slug, "title": title, "status": status, "detail": detail, **(extra or {})},
        response_only=True,
        status_codes=[str(status)],
    )


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
