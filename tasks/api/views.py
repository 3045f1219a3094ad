"""Thin HTTP adapters: validate input, call one use case, present the outcome."""

import functools
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status as http
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSet

from accounts.authentication import ApiKeyAuthentication
from accounts.callers import caller_for, owner_of
from accounts.permissions import CallerAllowed, KeyRequired
from accounts.schema import QUOTA_EXCEEDED, UNAUTHORIZED
from accounts.throttles import BatchSubmissionThrottle, SubmissionThrottle
from httpapi.metrics import exposition
from httpapi.parsers import BoundedJSONParser, BoundedMultiPartParser
from idempotency import services as idempotency
from idempotency.openapi import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, KEY_REUSED
from tasks import services
from tasks.api.schema import (
    ALREADY_FINISHED,
    BAD_LISTING,
    BAD_WAIT,
    BATCH_INVALID,
    BATCH_REQUEST,
    BINARY_RESULT_TYPES,
    BODY_NOT_JSON,
    BODY_TOO_LARGE,
    CAPACITY,
    METRICS_UNAUTHORIZED,
    NO_RESULT,
    NOT_READY,
    REPLAYED_TASK_GONE,
    RESULT_EXAMPLES,
    STATUS_READY_EXAMPLE,
    SUBMIT_BODIES,
    SUBMIT_EXAMPLES,
    SUBMIT_INVALID,
    SUBMIT_KEY_IN_USE,
    TASK_NOT_FOUND,
    TOO_MANY_WAITERS,
    described,
    kind_params_schemas,
)
from tasks.api.serializers import (
    HealthSerializer,
    KindSerializer,
    ReadinessSerializer,
    ResultEnvelopeSerializer,
    StatusQuerySerializer,
    TaskBatchCreatedSerializer,
    TaskCreatedSerializer,
    TaskListQuerySerializer,
    TaskPageSerializer,
    TaskStatusSerializer,
    parse_batch,
    parse_form_submission,
    parse_submission,
    preferred_wait,
)
from tasks.domain import PublicStatus, Task
from tasks.errors import MetricsTokenRequired, TooManyWaiters
from tasks.kinds import all_kinds
from tasks.kinds.base import Catalog
from tasks.metrics import StoreCollector
from tasks.presenters import Envelope, present_created, present_task, result_envelope


@functools.cache
def _status_path_template() -> str:
    return reverse("task-status", kwargs={"task_id": "TASK_ID"})


def status_path(task: Task) -> str:
    """The task's status URL; `reverse` once, not per request (it is the cost of a lookup)."""
    return _status_path_template().replace("TASK_ID", str(task.id))


TASK_ID = OpenApiParameter("task_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The id `POST /task` gave.")
PREFER = OpenApiParameter(
    "Prefer",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    # No example value: Swagger UI would fill it in, and "Try it out" would wait by default.
    description="`wait=<seconds>`, e.g. `wait=10` (RFC 7240): answer `200` with the final status if the task "
    "finishes within that time (capped at TASK_MAX_WAIT_SECONDS), else `201` as without it. "
    "`Preference-Applied` says it waited.",
)
PREFERENCE_APPLIED = OpenApiParameter(
    "Preference-Applied",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="`wait=<seconds>` when the service waited as `Prefer` asked.",
)


class EnvelopeResponse(HttpResponse):
    """GET /result's JSON answer, sent a chunk at a time from the stored result (no whole copy per
    download); `content` joins it only for whoever asks (tests, a middleware that would)."""

    def __init__(self, envelope: Envelope) -> None:
        super().__init__(content_type="application/json")
        self._container = envelope
        self["Content-Length"] = str(len(envelope))


class TaskViewSet(ViewSet):
    """The seed API (`POST /task`, `GET /status/{id}`, `GET /result/{id}`) and its companions.

    Every action is the caller's: their tasks only, within their quotas.
    """

    parser_classes = [BoundedJSONParser, BoundedMultiPartParser]
    authentication_classes = [ApiKeyAuthentication]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """DRF keeps the response on the view (`self.response`) while the request keeps the view:
        a reference cycle, so a downloaded 320 MiB result stayed in memory after its task was
        deleted until the garbage collector next ran. Dropping the view's edge frees it at once."""
        response = super().dispatch(request, *args, **kwargs)
        del self.response
        return response

    def get_permissions(self) -> list[BasePermission]:
        return [KeyRequired()] if self.action == "index" else [CallerAllowed()]

    def get_throttles(self) -> list[BaseThrottle]:
        # Only submissions spend the rate quota; reads are cheap and clients poll.
        if self.action == "batch":
            return [BatchSubmissionThrottle()]
        return [SubmissionThrottle()] if self.action == "create" else []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # DRF silently ignores a body that has no Content-Type; say so instead.
        if request.META.get("CONTENT_LENGTH", "0") not in ("", "0") and not request.content_type:
            raise UnsupportedMediaType("", "A request body needs a Content-Type (application/json).")

    @extend_schema(
        operation_id="submit_task",
        summary="Submit a task",
        description="Queues the task and answers at once with its id; the work runs in the background. "
        "An empty body (or `{}`) submits the demo kind `sleep` with default params. The photo editor "
        "also takes multipart/form-data: `kind=image`, the `image` file, and `filters` (and optionally "
        "`output`) as JSON text. Inputs are fully checked here: a bad image or step is a 400 now, "
        "never a failed task later.",
        request=SUBMIT_BODIES,
        examples=SUBMIT_EXAMPLES,
        parameters=[PREFER, IDEMPOTENCY_KEY, PREFERENCE_APPLIED, IDEMPOTENT_REPLAYED],
        responses={
            200: OpenApiResponse(
                TaskStatusSerializer,
                description="Asked to wait (`Prefer: wait`), the task finished in time: its final status. Or a "
                "retry with a known Idempotency-Key (`Idempotent-Replayed: true`): the first request's task as it "
                "is now.",
                examples=[
                    OpenApiExample(
                        "Finished while waiting",
                        value=STATUS_READY_EXAMPLE,
                        response_only=True,
                    )
                ],
            ),
            201: OpenApiResponse(
                TaskCreatedSerializer,
                description="Accepted; `Location` points at the status URL.",
                examples=[
                    OpenApiExample(
                        "Created",
                        value={"task_id": "5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1", "status": "in_progress"},
                        response_only=True,
                    )
                ],
            ),
            **SUBMIT_INVALID,
            **REPLAYED_TASK_GONE,
            **SUBMIT_KEY_IN_USE,
            **KEY_REUSED,
            **BODY_TOO_LARGE,
            **BODY_NOT_JSON,
            **CAPACITY,
            **QUOTA_EXCEEDED,
            **UNAUTHORIZED,
        },
        tags=["tasks"],
    )
    def create(self, request: Request) -> Response:
        form = isinstance(request.data, QueryDict)
        kind, params, callback_url = parse_form_submission(request.data) if form else parse_submission(request.data)
        key = idempotency.parse_key(request.headers.get("Idempotency-Key"))
        submission = services.submit_task(
            kind=kind, params=params, callback_url=callback_url, caller=caller_for(request), idempotency_key=key
        )
        task = submission.task
        headers = {"Location": status_path(task)}
        if submission.replayed:
            return Response(present_task(task), headers={**headers, "Idempotent-Replayed": "true"})
        wait = preferred_wait(request.headers.get("Prefer"))
        if wait:
            try:
                task = services.wait_for_task(task_id=task.id, owner=task.owner, seconds=wait)
            except TooManyWaiters:
                pass  # a preference, not a demand: answered at once, without Preference-Applied
            else:
                headers["Preference-Applied"] = f"wait={wait:g}"
                if task.status.terminal:
                    return Response(present_task(task), headers=headers)
        return Response(present_created(task), status=http.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        operation_id="submit_task_batch",
        summary="Submit several tasks at once",
        description="A JSON array of 1 to TASK_MAX_BATCH (20) bodies of `POST /task` (JSON; images in base64): all "
        "are submitted, or none. Every problem is named, pointed at `#/<index>/...`; the quotas count the whole "
        "batch (it is as many submissions as it has tasks, and all must fit the tasks-in-progress limit).",
        request={"application/json": BATCH_REQUEST},
        parameters=[IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        examples=[
            OpenApiExample(  # drf-spectacular makes the array of a many=True request: one task here
                "One demo task",
                value={"kind": "sleep", "params": {"seconds": 1}},
                request_only=True,
            )
        ],
        responses={
            200: OpenApiResponse(
                TaskBatchCreatedSerializer,
                description="A retry with a known Idempotency-Key (`Idempotent-Replayed: true`): the first ids.",
            ),
            201: OpenApiResponse(
                TaskBatchCreatedSerializer,
                description="All accepted, their ids in the batch's order.",
                examples=[
                    OpenApiExample(
                        "Created",
                        value={
                            "task_ids": ["5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1", "0b7e1a52-3c1d-4e8f-a7d2-6f1c2b3a4d5e"]
                        },
                        response_only=True,
                    )
                ],
            ),
            **BATCH_INVALID,
            **SUBMIT_KEY_IN_USE,
            **KEY_REUSED,
            **BODY_TOO_LARGE,
            **BODY_NOT_JSON,
            **CAPACITY,
            **QUOTA_EXCEEDED,
            **UNAUTHORIZED,
        },
        tags=["tasks"],
    )
    def batch(self, request: Request) -> Response:
        items = parse_batch(request.data)
        key = idempotency.parse_key(request.headers.get("Idempotency-Key"))
        submitted = services.submit_tasks(items=items, caller=caller_for(request), idempotency_key=key)
        body = {"task_ids": [str(task_id) for task_id in submitted.task_ids]}
        if submitted.replayed:
            return Response(body, headers={"Idempotent-Replayed": "true"})
        return Response(body, status=http.HTTP_201_CREATED)

    @extend_schema(
        operation_id="get_task_status",
        summary="Status of a task",
        description="With `?wait=<seconds>`, the answer waits until the task leaves `in_progress` (it comes "
        "within milliseconds of that) or the time is up, instead of the client polling. Each web process "
        "holds at most TASK_MAX_WAITERS waits at once (TASK_MAX_WAITERS_PER_OWNER per caller); past that, `429`.",
        parameters=[TASK_ID, StatusQuerySerializer],
        responses={
            200: OpenApiResponse(
                TaskStatusSerializer, examples=[OpenApiExample("Ready", value=STATUS_READY_EXAMPLE, response_only=True)]
            ),
            **TASK_NOT_FOUND,
            **UNAUTHORIZED,
            **BAD_WAIT,
            **TOO_MANY_WAITERS,
        },
        tags=["tasks"],
    )
    def status(self, request: Request, task_id: str) -> Response:
        wait = request.query_params.get("wait")
        if wait is None:  # the hot path: no query to parse
            return Response(present_task(services.get_task(task_id=task_id, owner=owner_of(request))))
        query = StatusQuerySerializer(data={"wait": wait})
        query.is_valid(raise_exception=True)
        seconds = query.validated_data["wait"]
        return Response(present_task(services.wait_for_task(task_id=task_id, owner=owner_of(request), seconds=seconds)))

    @extend_schema(
        operation_id="get_task_result",
        summary="Result of a ready task",
        description='JSON results come back in an envelope, `{"task_id", "kind", "result"}`, with the '
        "kind's value under `result` (the code runner's verdict, the demo's `garbage`). Binary results (edited "
        "images) come back as their bytes with their own Content-Type and a Content-Disposition filename; "
        "with `Accept: application/json` they come in the same envelope, `result` being "
        '`{"content_type", "encoding": "base64", "data"}`.',
        parameters=[TASK_ID],
        responses={
            (200, "application/json"): OpenApiResponse(
                ResultEnvelopeSerializer,
                description="A JSON result, or a binary one asked for with `Accept: application/json`.",
                examples=RESULT_EXAMPLES,
            ),
            **{
                (200, content_type): OpenApiResponse(
                    OpenApiTypes.BINARY, description="A binary result: an edited image, a .npy matrix."
                )
                for content_type in BINARY_RESULT_TYPES
            },
            **TASK_NOT_FOUND,
            **UNAUTHORIZED,
            **NO_RESULT,
        },
        tags=["tasks"],
    )
    def result(self, request: Request, task_id: str) -> HttpResponse:
        task, result = services.get_result(task_id=task_id, owner=owner_of(request))
        if result.content_type == "application/json" or "application/json" in request.headers.get("Accept", ""):
            return EnvelopeResponse(result_envelope(task, result))
        response = HttpResponse(result.data, content_type=result.content_type)
        if result.filename:
            response["Content-Disposition"] = f'inline; filename="{result.filename}"'
        return response

    @extend_schema(
        operation_id="list_tasks",
        summary="The caller's tasks, newest first",
        parameters=[TaskListQuerySerializer],
        responses={
            200: TaskPageSerializer,
            **UNAUTHORIZED,
            **BAD_LISTING,
        },
        tags=["tasks"],
    )
    def index(self, request: Request) -> Response:
        # A plain dict: DRF would treat `?status=` in a QueryDict as "not given" instead of invalid.
        query = TaskListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        options = query.validated_data
        status = PublicStatus(options["status"]) if "status" in options else None
        page = services.list_tasks(
            owner=owner_of(request),
            status=status,
            kind=options.get("kind"),
            limit=options["limit"],
            cursor=options.get("cursor"),
        )
        next_url = None
        if page.next_cursor:
            params = {key: value for key, value in request.query_params.items() if key != "cursor"}
            next_url = f"{request.path}?{urlencode({**params, 'cursor': page.next_cursor})}"
        return Response({"results": [present_task(task) for task in page.tasks], "next": next_url})

    @extend_schema(
        operation_id="cancel_task",
        summary="Cancel a task",
        description="A queued task is cancelled at once (200) and never starts; a running one is asked to "
        "stop at its next check (202, `cancel_requested` true). Cancelling a cancelled task is a no-op.",
        request=None,
        parameters=[TASK_ID],
        responses={
            200: TaskStatusSerializer,
            202: TaskStatusSerializer,
            **TASK_NOT_FOUND,
            **UNAUTHORIZED,
            **ALREADY_FINISHED,
        },
        tags=["tasks"],
    )
    def cancel(self, request: Request, task_id: str) -> Response:
        task = services.cancel_task(task_id=task_id, owner=owner_of(request))
        code = http.HTTP_200_OK if task.status.terminal else http.HTTP_202_ACCEPTED
        return Response(present_task(task), status=code)

    @extend_schema(
        operation_id="delete_task",
        summary="Delete a task",
        description="Cancels the task if it is still going, then forgets it and its result.",
        parameters=[TASK_ID],
        responses={204: None, **TASK_NOT_FOUND, **UNAUTHORIZED},
        tags=["tasks"],
    )
    def destroy(self, request: Request, task_id: str) -> Response:
        services.delete_task(task_id=task_id, owner=owner_of(request))
        return Response(status=http.HTTP_204_NO_CONTENT)


class KindListView(APIView):
    @extend_schema(
        operation_id="list_kinds",
        summary="Task kinds and their parameters",
        responses={200: KindSerializer(many=True)},
        tags=["tasks"],
    )
    def get(self, request: Request) -> Response:
        schemas = kind_params_schemas()
        return Response(
            [{"name": kind.name, "summary": kind.summary, "params_schema": schemas[kind.name]} for kind in all_kinds()]
        )


def catalog_view(catalog: Catalog) -> Callable[..., HttpResponseBase]:
    """The view of one kind's catalog (GET /filters, GET /languages): kinds bring their own."""

    class CatalogView(APIView):
        @extend_schema(
            operation_id=f"list_{catalog.path}",
            summary=catalog.summary,
            responses={200: catalog.entry(many=True)},
            tags=["tasks"],
        )
        def get(self, request: Request) -> Response:
            return Response([described(entry) for entry in catalog.entries()])

    return CatalogView.as_view()


class HealthView(APIView):
    @extend_schema(operation_id="healthz", summary="Liveness", responses={200: HealthSerializer}, tags=["service"])
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadinessView(APIView):
    @extend_schema(
        operation_id="readyz",
        summary="Readiness: the store and the executor are usable",
        responses={
            200: ReadinessSerializer,
            **NOT_READY,
        },
        tags=["service"],
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok", "checks": services.check_readiness()})


class MetricsTokenHeld(BasePermission):
    """`Authorization: Bearer <METRICS_TOKEN>` (else MetricsTokenRequired). Without a token set
    nobody scrapes: the metrics tell strangers the load, the quotas hit and the store's size."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method not in ("GET", "HEAD"):
            return True  # the view answers 405: no need to know the token for that
        token = settings.METRICS_TOKEN
        given = request.headers.get("Authorization", "").encode()
        if not token or not hmac.compare_digest(given, f"Bearer {token}".encode()):
            raise MetricsTokenRequired
        return True


class MetricsView(APIView):
    """Prometheus text format, only for `Authorization: Bearer <METRICS_TOKEN>`."""

    authentication_classes: list = []
    permission_classes = [MetricsTokenHeld]

    @extend_schema(
        operation_id="metrics",
        summary="Prometheus metrics",
        description="Every gunicorn and Celery worker of this host counted (prometheus-client multiprocess "
        "mode): tasks submitted and finished by kind and outcome, queue wait and run time histograms by kind, "
        "tasks in progress, what the store holds, quota refusals by quota, sandbox faults, webhook attempts by "
        "outcome, HTTP requests by route and status. It needs `Authorization: Bearer <METRICS_TOKEN>`; "
        "with no METRICS_TOKEN set on the server it answers 401 to everyone.",
        responses={
            (200, "text/plain"): OpenApiResponse(
                OpenApiTypes.STR,
                description="Prometheus text exposition format 0.0.4.",
                examples=[
                    OpenApiExample(
                        "Some of it",
                        value='taskservice_tasks_submitted_total{kind="sleep"} 42.0\n'
                        "taskservice_tasks_in_progress 3.0\n",
                        response_only=True,
                        media_type="text/plain",
                    )
                ],
            ),
            **METRICS_UNAUTHORIZED,
        },
        tags=["service"],
    )
    def get(self, request: Request) -> HttpResponse:
        body = exposition([StoreCollector(services.store_census)])
        return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
