"""The Judge0 CE 1.13.1 API, over the code kind: each submission is a `code` task of the caller's,
with the same key, quotas, sandbox and store as every other task. Judge0's own errors keep Judge0's
shapes (422 `{"field": ["message"]}`, 400 and 404 `{"error": "..."}`) so its clients read them;
what the service refuses for every API (401, 429, 503) stays a problem document."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from drf_spectacular.plumbing import build_array_type, build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.callers import caller_for, owner_of
from accounts.permissions import CallerAllowed, KeyRequired
from accounts.schema import QUOTA_EXCEEDED, UNAUTHORIZED
from accounts.throttles import charge_submissions
from httpapi.openapi import problem
from judge0api import catalog
from judge0api.serializers import (
    Judge0AboutSerializer,
    Judge0BatchRequestSerializer,
    Judge0BatchSubmissionsSerializer,
    Judge0ErrorSerializer,
    Judge0LanguageDetailSerializer,
    Judge0LanguageSerializer,
    Judge0StatusSerializer,
    Judge0SubmissionRequestSerializer,
    Judge0SubmissionSerializer,
    Judge0SubmissionsPageSerializer,
)
from judge0api.submissions import BadQuery, Invalid, NotUtf8, flag, present, requested_fields, result_of, to_params
from tasks import services
from tasks.api.schema import BODY_NOT_JSON, BODY_TOO_LARGE, CAPACITY, TOO_MANY_WAITERS
from tasks.domain import Task, TaskStatus
from tasks.errors import InvalidCallbackUrl, InvalidParams, InvalidTaskId, ResultUnavailable, TaskNotFound

KIND = "code"
TAG = ["judge0"]
UTF8_ERROR = "some attributes for this submission cannot be converted to UTF-8, use base64_encoded=true query parameter"
UTF8_ERROR_MANY = UTF8_ERROR.replace("this submission", "one or more submissions")
# The service's own names for a code task's params, as Judge0 names the field they came from.
PARAM_FIELDS = {
    "language": "language_id",
    "source": "source_code",
    "stdin": "stdin",
    "expected_output": "expected_output",
    "args": "command_line_arguments",
    "files": "additional_files",
    "compile_options": "compiler_options",
    "time_s": "cpu_time_limit",
    "memory_mb": "memory_limit",
}
BASE64 = OpenApiParameter("base64_encoded", OpenApiTypes.BOOL, description="Texts in and out as base64.")
FIELDS = OpenApiParameter(
    "fields", OpenApiTypes.STR, description="Comma-separated fields to show, or `*` for all of them."
)
WAIT = OpenApiParameter("wait", OpenApiTypes.BOOL, description="Answer once it finished (up to TASK_MAX_WAIT_SECONDS).")
TOKENS = OpenApiParameter("tokens", OpenApiTypes.STR, required=True, description="Comma-separated tokens.")
PAGE = OpenApiParameter("page", OpenApiTypes.INT)
PER_PAGE = OpenApiParameter("per_page", OpenApiTypes.INT, description="At most 100.")
FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Judge0's validation errors: each field with its messages.",
    examples=[OpenApiExample("Unknown language", value={"language_id": ["language with id 999 doesn't exist"]})],
)
BAD_REQUEST = {
    (400, "application/json"): OpenApiResponse(
        Judge0ErrorSerializer, description="Judge0's error: bad `fields`, flags, tokens or paging."
    )
}
NOT_FOUND = {
    (404, "application/json"): OpenApiResponse(Judge0ErrorSerializer, description="No such submission of the caller's.")
}
NO_ROUTE = problem("Not a path of this service.", ("No route", NotFound, "No endpoint at /judge0/languages/x."))
BAD_JSON = problem("The body is not valid JSON.", ("Bad JSON", ParseError, "JSON parse error - Expecting value."))
# What every submission may meet besides Judge0's own refusals.
SUBMIT_REFUSALS = {**BAD_JSON, **BODY_TOO_LARGE, **BODY_NOT_JSON, **CAPACITY, **QUOTA_EXCEEDED, **UNAUTHORIZED}
ANSWERS = build_array_type(build_basic_type(OpenApiTypes.OBJECT))
HELLO = {"source_code": "print(input())", "language_id": 71, "stdin": "hello"}
ANSWER = {
    "token": "5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1",
    "status": {"id": 3, "description": "Accepted"},
    "stdout": "hello\n",
    "stderr": None,
    "compile_output": None,
    "message": None,
    "time": "0.012",
    "memory": 9216,
}


def _error(message: str, status: int = http.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"error": message}, status=status)


class Judge0View(APIView):
    authentication_classes = [ApiKeyAuthentication]

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        """Judge0's clients send the key as `X-Auth-Token` (its AUTHN_HEADER): the same key as
        `Authorization: Bearer`, which wins when both are sent."""
        token = request.META.get("HTTP_X_AUTH_TOKEN")
        if token is not None and "HTTP_AUTHORIZATION" not in request.META:
            request.META["HTTP_AUTHORIZATION"] = f"Bearer {token.strip()}"
        return super().initialize_request(request, *args, **kwargs)

    def get_permissions(self) -> list[BasePermission]:
        return [CallerAllowed()]

    def handle_exception(self, exc: Exception) -> Response:
        """Judge0's own refusals in Judge0's shapes; the service's (401, 429, 503) as everywhere."""
        if isinstance(exc, BadQuery):
            return _error(str(exc))
        if isinstance(exc, Invalid):
            return Response(exc.errors, status=http.HTTP_422_UNPROCESSABLE_ENTITY)
        return super().handle_exception(exc)


class AboutView(Judge0View):
    @extend_schema(
        operation_id="judge0_about", summary="About (Judge0)", responses={200: Judge0AboutSerializer}, tags=TAG
    )
    def get(self, request: Request) -> Response:
        return Response(catalog.about())


class ConfigInfoView(Judge0View):
    @extend_schema(
        operation_id="judge0_config_info",
        summary="Configuration (Judge0)",
        description="Judge0's configuration keys, true of this service: defaults and maxima of the limits, and "
        "what is off here (per-process limits, network).",
        responses={200: OpenApiTypes.OBJECT},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        return Response(catalog.config_info())


class StatusesView(Judge0View):
    @extend_schema(
        operation_id="judge0_statuses",
        summary="Statuses (Judge0)",
        responses={200: Judge0StatusSerializer(many=True)},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        return Response([catalog.status(status_id) for status_id, _ in catalog.STATUSES])


class LanguagesView(Judge0View):
    @extend_schema(
        operation_id="judge0_languages",
        summary="Languages (Judge0 ids)",
        description="The languages installed on this host, by Judge0 CE 1.13.1's ids, with the versions here.",
        responses={200: Judge0LanguageSerializer(many=True)},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        return Response(catalog.listed())


class LanguageView(Judge0View):
    @extend_schema(
        operation_id="judge0_language",
        summary="One language (Judge0 id)",
        responses={200: Judge0LanguageDetailSerializer, **NOT_FOUND, **NO_ROUTE},
        tags=TAG,
    )
    def get(self, request: Request, language_id: int) -> Response:
        language = catalog.by_id().get(language_id)
        if language is None:
            return _error("record not found", http.HTTP_404_NOT_FOUND)
        return Response(catalog.detail(language_id, language))


class SubmissionsView(Judge0View):
    def get_permissions(self) -> list[BasePermission]:
        return [KeyRequired()] if self.request.method == "GET" else [CallerAllowed()]

    @extend_schema(
        operation_id="judge0_create_submission",
        summary="Create a submission (Judge0)",
        description="A `code` task of the caller's. Answers its token at once, or with `wait=true` the "
        "submission once it finished.",
        parameters=[BASE64, WAIT, FIELDS],
        request=Judge0SubmissionRequestSerializer,
        examples=[OpenApiExample("Echo in Python", value=HELLO, request_only=True)],
        responses={
            201: OpenApiResponse(
                Judge0SubmissionSerializer,
                description="Its token, or with `wait=true` its fields.",
                examples=[OpenApiExample("Finished (wait=true)", value=ANSWER, response_only=True)],
            ),
            **BAD_REQUEST,
            422: FIELD_ERRORS,
            **SUBMIT_REFUSALS,
            **TOO_MANY_WAITERS,
        },
        tags=TAG,
    )
    def post(self, request: Request) -> Response:
        fields = requested_fields(request.query_params)
        base64_encoded = flag(request.query_params, "base64_encoded")
        wait = flag(request.query_params, "wait")
        charge_submissions(request, 1)
        task = _submit(request, request.data, base64_encoded=base64_encoded)
        if not wait:
            return Response({"token": str(task.id)}, status=http.HTTP_201_CREATED)
        task = services.wait_for_task(task_id=task.id, owner=task.owner, seconds=settings.TASK_MAX_WAIT_SECONDS)
        try:
            return Response(_shown(task, fields, base64_encoded), status=http.HTTP_201_CREATED)
        except NotUtf8:
            return Response({"error": UTF8_ERROR, "token": str(task.id)}, status=http.HTTP_201_CREATED)

    @extend_schema(
        operation_id="judge0_list_submissions",
        summary="The caller's submissions (Judge0)",
        description="Newest first, a page at a time; needs an API key.",
        parameters=[BASE64, FIELDS, PAGE, PER_PAGE],
        responses={200: Judge0SubmissionsPageSerializer, **BAD_REQUEST, **UNAUTHORIZED},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        fields = requested_fields(request.query_params)
        base64_encoded = flag(request.query_params, "base64_encoded")
        try:
            page = int(request.query_params.get("page", 1))
            per_page = int(request.query_params.get("per_page", 20))
        except ValueError:
            return _error("page and per_page are whole numbers")
        if page <= 0:
            return _error(f"invalid page: {page}")
        if not 0 <= per_page <= 100:
            return _error(f"invalid per_page: {per_page}")
        tasks, more = _page(owner_of(request), page, per_page)
        try:
            shown = [_shown(task, fields, base64_encoded) for task in tasks]
        except NotUtf8:
            return _error(UTF8_ERROR_MANY)
        meta = {
            "current_page": page,
            "next_page": page + 1 if more else None,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": None,
            "total_count": None,
        }
        return Response({"submissions": shown, "meta": meta})


class SubmissionView(Judge0View):
    @extend_schema(
        operation_id="judge0_get_submission",
        summary="A submission (Judge0)",
        parameters=[BASE64, FIELDS],
        responses={
            200: OpenApiResponse(
                Judge0SubmissionSerializer, examples=[OpenApiExample("Accepted", value=ANSWER, response_only=True)]
            ),
            **BAD_REQUEST,
            **NOT_FOUND,
            **UNAUTHORIZED,
        },
        tags=TAG,
    )
    def get(self, request: Request, token: str) -> Response:
        fields = requested_fields(request.query_params)
        task = _task(token, owner_of(request))
        if task is None:
            return _error("record not found", http.HTTP_404_NOT_FOUND)
        try:
            return Response(_shown(task, fields, flag(request.query_params, "base64_encoded")))
        except NotUtf8:
            return _error(UTF8_ERROR)

    @extend_schema(
        operation_id="judge0_delete_submission",
        summary="Delete a finished submission (Judge0)",
        description="Answers what it was, base64-encoded (as Judge0 does); one still running is not deleted (400).",
        parameters=[FIELDS],
        responses={200: Judge0SubmissionSerializer, **BAD_REQUEST, **NOT_FOUND, **UNAUTHORIZED},
        tags=TAG,
    )
    def delete(self, request: Request, token: str) -> Response:
        fields = requested_fields(request.query_params)
        owner = owner_of(request)
        task = _task(token, owner)
        if task is None:
            return _error("record not found", http.HTTP_404_NOT_FOUND)
        shown = _shown(task, fields, True)
        if not task.status.terminal:
            status = shown.get("status") or _shown(task, ("status",), True)["status"]
            return _error(
                f"submission cannot be deleted because its status is {status['id']} ({status['description']})"
            )
        try:
            services.delete_task(task_id=task.id, owner=owner)
        except TaskNotFound:
            return _error("record not found", http.HTTP_404_NOT_FOUND)
        return Response(shown)


class BatchView(Judge0View):
    @extend_schema(
        operation_id="judge0_create_batch",
        summary="Create submissions (Judge0 batch)",
        description=f"Up to {catalog.BATCH_MAX}; each is on its own: a token, or its field errors.",
        parameters=[BASE64],
        request=Judge0BatchRequestSerializer,
        responses={
            201: OpenApiResponse(ANSWERS, description="A token or the field errors of each, in order."),
            **BAD_REQUEST,
            422: OpenApiResponse(ANSWERS, description="None was valid: the field errors of each, in order."),
            **SUBMIT_REFUSALS,
        },
        tags=TAG,
    )
    def post(self, request: Request) -> Response:
        base64_encoded = flag(request.query_params, "base64_encoded")
        items = request.data.get("submissions") if isinstance(request.data, dict) else None
        if not isinstance(items, list) or not items:
            return _error("there should be at least one submission in a batch")
        if len(items) > catalog.BATCH_MAX:
            return _error(f"number of submissions in a batch should be less than or equal to {catalog.BATCH_MAX}")
        charge_submissions(request, len(items))
        answers: list[dict[str, Any]] = []
        for item in items:
            try:
                answers.append({"token": str(_submit(request, item, base64_encoded=base64_encoded).id)})
            except Invalid as invalid:
                answers.append(invalid.errors)
        made = any("token" in answer for answer in answers)
        return Response(answers, status=http.HTTP_201_CREATED if made else http.HTTP_422_UNPROCESSABLE_ENTITY)

    @extend_schema(
        operation_id="judge0_get_batch",
        summary="Submissions by token (Judge0 batch)",
        parameters=[TOKENS, BASE64, FIELDS],
        responses={200: Judge0BatchSubmissionsSerializer, **BAD_REQUEST, **UNAUTHORIZED},
        tags=TAG,
    )
    def get(self, request: Request) -> Response:
        fields = requested_fields(request.query_params)
        tokens = [token for token in request.query_params.get("tokens", "").strip().split(",") if token]
        if not tokens:
            return _error("there should be at least one submission in a batch")
        if len(tokens) > catalog.BATCH_MAX:
            return _error(f"number of submissions in a batch should be less than or equal to {catalog.BATCH_MAX}")
        owner = owner_of(request)
        base64_encoded = flag(request.query_params, "base64_encoded")
        try:
            shown = [
                None if (task := _task(t, owner)) is None else _shown(task, fields, base64_encoded) for t in tokens
            ]
        except NotUtf8:
            return _error(UTF8_ERROR_MANY)
        return Response({"submissions": shown})


def _submit(request: Request, body: Any, *, base64_encoded: bool) -> Task:
    params = to_params(body, base64_encoded=base64_encoded)
    callback_url = body.get("callback_url") or None
    try:
        submitted = services.submit_task(
            kind=KIND, params=params, caller=caller_for(request), callback_url=callback_url, callback_style="judge0"
        )
    except InvalidParams as exc:
        raise Invalid(_judge0_errors(exc.errors)) from None
    except InvalidCallbackUrl as exc:  # an address it may not call, or an anonymous caller (nothing to sign with)
        raise Invalid({"callback_url": [str(exc)]}) from None
    return submitted.task


def _judge0_errors(errors: Any, field: str = "base") -> dict[str, list[str]]:
    """The code kind's errors under the Judge0 field each came from."""
    if isinstance(errors, dict):
        found: dict[str, list[str]] = {}
        for name, inner in errors.items():
            for judge0_field, messages in _judge0_errors(inner, PARAM_FIELDS.get(name, field)).items():
                found.setdefault(judge0_field, []).extend(messages)
        return found
    if isinstance(errors, list):
        messages = [message for error in errors for message in _judge0_errors(error, field).get(field, [])]
        return {field: messages}
    return {field: [str(errors)]}


def _task(token: str, owner: str) -> Task | None:
    try:
        task = services.get_task(task_id=token, owner=owner)
    except (TaskNotFound, InvalidTaskId):
        return None
    return task if task.kind == KIND else None


def _shown(task: Task, fields: tuple[str, ...], base64_encoded: bool) -> dict[str, Any]:
    result = None
    if task.status is TaskStatus.SUCCEEDED:
        try:
            _, stored = services.get_result(task_id=task.id, owner=task.owner)
        except (TaskNotFound, ResultUnavailable):  # deleted meanwhile: shown without its output
            stored = None
        result = result_of(stored.data) if stored is not None else None
    return present(task, result, fields, base64_encoded=base64_encoded)


def _page(owner: str, page: int, per_page: int) -> tuple[list[Task], bool]:
    """Page `page` of the owner's code tasks, newest first, and whether another follows."""
    cursor = None
    for _ in range(page - 1):
        skipped = services.list_tasks(owner=owner, kind=KIND, limit=max(per_page, 1), cursor=cursor)
        if skipped.next_cursor is None:
            return [], False
        cursor = skipped.next_cursor
    if per_page == 0:
        return [], False
    found = services.list_tasks(owner=owner, kind=KIND, limit=per_page, cursor=cursor)
    return found.tasks, found.next_cursor is not None
