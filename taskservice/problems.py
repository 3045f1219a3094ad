"""RFC 9457 problem details: the one JSON shape of every error this service answers.

`exception_handler` (DRF) and the Django `handler*` views below are the only producers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from django import db
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from records import errors as records_errors
from tasks import errors as task_errors
from taskservice import parsers

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


def field_errors(detail: Any, pointer: str = "#") -> list[dict[str, str]]:
    """Flatten DRF's nested error structure into RFC 9457 `errors` entries with JSON pointers."""
    return list(_walk(detail, pointer))


def _walk(detail: Any, pointer: str) -> Iterator[dict[str, str]]:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            child = pointer if key in ("non_field_errors", "__all__") else f"{pointer}/{key}"
            yield from _walk(value, child)
    elif isinstance(detail, list) and detail and all(isinstance(item, str) for item in detail):
        for message in detail:
            yield {"pointer": pointer, "detail": str(message)}
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                yield from _walk(value, f"{pointer}/{index}")
    else:
        yield {"pointer": pointer, "detail": str(detail)}


def _summarize(errors: list[dict[str, str]], fallback: str) -> str:
    if not errors:
        return fallback
    first = errors[0]
    where = first["pointer"].removeprefix("#").strip("/").replace("/", ".") or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['detail']}{more}"


def _retry_after() -> dict[str, str]:
    return {"Retry-After": str(settings.TASK_RETRY_AFTER_SECONDS)}


def problem_for(exc: Exception) -> Problem | None:
    """The problem an exception stands for, or None for an unexpected one (a 500)."""
    match exc:
        case task_errors.TaskNotFound() | task_errors.InvalidTaskId():
            return Problem(404, "task-not-found", str(exc), "Task not found")
        case task_errors.ResultUnavailable(task=task):
            status = task.status.public.value
            return Problem(409, "result-unavailable", str(exc), "No result", extra={"task_status": status})
        case task_errors.TaskAlreadyFinished(task=task):
            status = task.status.public.value
            return Problem(409, "task-finished", str(exc), "Task already finished", extra={"task_status": status})
        case task_errors.UnknownKind():
            errs = [{"pointer": "#/kind", "detail": str(exc)}]
            return Problem(400, "unknown-kind", str(exc), "Unknown task kind", errs)
        case task_errors.InvalidParams():
            errs = field_errors(exc.errors, "#/params")
            return Problem(400, "invalid-params", _summarize(errs, str(exc)), "Invalid task parameters", errs)
        case task_errors.InputTooLarge(field=name):
            errs = [{"pointer": f"#/params/{name}", "detail": str(exc)}]
            return Problem(413, "input-too-large", str(exc), "Input too large", errs)
        case task_errors.InvalidCursor():
            errs = [{"pointer": "#/cursor", "detail": str(exc)}]
            return Problem(400, "invalid-cursor", str(exc), "Invalid cursor", errs)
        case task_errors.QuotaExceeded():
            retry_after = exc.retry_after if exc.retry_after is not None else settings.TASK_RETRY_AFTER_SECONDS
            extra = {"quota": exc.quota, "limit": exc.limit, "used": exc.used}
            headers = {"Retry-After": str(retry_after)}
            return Problem(429, "quota-exceeded", str(exc), "Quota exceeded", extra=extra, headers=headers)
        case task_errors.KindUnavailable():
            return Problem(503, "kind-unavailable", str(exc), "Task kind unavailable")
        case task_errors.CapacityExhausted():
            return Problem(503, "capacity-exhausted", str(exc), "Try again later", headers=_retry_after())
        case task_errors.DependencyUnavailable():
            return Problem(503, "not-ready", str(exc), "Not ready", extra={"checks": exc.failures})
        case parsers.UploadTooLarge(field=name):
            errs = [{"pointer": f"#/{name}", "detail": str(exc.detail)}]
            return Problem(413, "input-too-large", str(exc.detail), "Input too large", errs)
        case records_errors.RecordNotFound():
            return Problem(404, "record-not-found", str(exc), "Record not found")
        case records_errors.NotARecordPath():
            return Problem(404, "not-found", str(exc))
        case records_errors.DuplicateRecord(uuid=key):
            errs = [{"pointer": "#", "detail": str(exc)}]
            return Problem(409, "duplicate-record", str(exc), "Duplicate record", errs, extra={"uuid": str(key)})
        case records_errors.InvalidRecords(errors=pairs):
            errs = [{"pointer": pointer, "detail": detail} for pointer, detail in pairs]
            return Problem(400, "invalid-records", _summarize(errs, str(exc)), "Invalid records", errs)
        case records_errors.RecordStoreFull():
            return Problem(503, "capacity-exhausted", str(exc), "Try again later", headers=_retry_after())
        case records_errors.InvalidCount():
            return Problem(400, "invalid-count", str(exc), "Count too large")
        case db.OperationalError() | db.InterfaceError():
            detail = "The task store (database) cannot be reached right now; nothing was changed. Retry later."
            return Problem(503, "store-unavailable", detail, "Try again later", headers=_retry_after())
        case exceptions.ValidationError():
            errs = field_errors(exc.detail)
            return Problem(400, "invalid-request", _summarize(errs, "Invalid request."), "Invalid request", errs)
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
