"""OpenAPI documentation helpers shared by every app."""

from http import HTTPStatus
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

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
