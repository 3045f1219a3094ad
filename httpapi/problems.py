"""RFC 9457 problem details: the one JSON shape of every error this service answers.

`exception_handler` (DRF) and the Django `handler*` views below are the only producers. Errors
bring their own status, slug and title (core.errors), so no app's error is named here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from django import db
from django.http import HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import InputTooLarge, InvalidRequest, ServiceError, StoreUnavailable, field_errors, summarize
from httpapi import metrics, parsers

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:taskservice:problem:"


@dataclass(frozen=True, slots=True)
class Problem:
    status: int
    slug: str
    detail: str
    title: str = ""
    errors: list[dict[str, str]] = field(default_factory=list)
    extra: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.slug,
            "title": self.title or HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def problem_for(exc: Exception) -> Problem | None:
    """The problem an exception stands for, or None for an unexpected one (a 500)."""
    match exc:
        case ServiceError():
            errors = exc.problem_errors()
            return Problem(
                exc.status,
                exc.slug,
                exc.problem_detail(errors),
                exc.title,
                errors,
                exc.problem_extra(),
                exc.problem_headers(),
            )
        case parsers.UploadTooLarge(field=name, limit=limit):
            return problem_for(InputTooLarge(name, limit))
        case db.OperationalError() | db.InterfaceError():
            return problem_for(StoreUnavailable())
        case exceptions.ValidationError():
            errs = field_errors(exc.detail)
            meaning = InvalidRequest
            return Problem(meaning.status, meaning.slug, summarize(errs, "Invalid request."), meaning.title, errs)
        case exceptions.APIException():
            code = exc.get_codes()
            slug = code.replace("_", "-") if isinstance(code, str) else "error"
            return Problem(exc.status_code, slug, str(exc.detail))
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: domain and API errors become problem+json responses."""
    base = drf_exception_handler(exc, context)  # turns Http404/PermissionDenied into APIExceptions, sets headers
    if base is not None and not isinstance(exc, exceptions.APIException):
        exc = exceptions.NotFound() if base.status_code == 404 else exceptions.PermissionDenied()
    problem = problem_for(exc)
    if problem is None:
        return None
    if problem.status == 429:
        metrics.count_refusal(dict(problem.extra))
    headers = dict(base.headers) if base is not None else {}
    headers.pop("Content-Type", None)
    headers.update(problem.headers)
    return Response(problem.body(), status=problem.status, headers=headers, content_type=CONTENT_TYPE)


def problem_response(problem: Problem) -> JsonResponse:
    """For the few errors Django answers before DRF is involved (unknown URL, crash)."""
    response = JsonResponse(problem.body(), status=problem.status, content_type=CONTENT_TYPE)
    for name, value in problem.headers.items():
        response[name] = value
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(Problem(400, "bad-request", "The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(Problem(403, "forbidden", "You may not do this."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return problem_response(Problem(404, "not-found", f"No endpoint at {request.path}; see /api/docs/."))


def server_error(request: HttpRequest) -> JsonResponse:
    return problem_response(Problem(500, "internal-error", "The service failed on this request; it was logged."))
