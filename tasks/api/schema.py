"""OpenAPI documentation pieces for the tasks API, derived from the kind registry."""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiExample, OpenApiRequest, PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import UnsupportedMediaType

from core.errors import DependencyUnavailable, InvalidRequest
from httpapi.openapi import problem, request_schema
from httpapi.parsers import RequestTooLarge
from idempotency.openapi import BAD_KEY, KEY_IN_USE
from tasks.errors import (
    CapacityExhausted,
    InvalidBatch,
    InvalidParams,
    MetricsTokenRequired,
    ResultUnavailable,
    TaskAlreadyFinished,
    TaskNotFound,
    TooManyWaiters,
    UnknownKind,
)
from tasks.kinds import DEFAULT_KIND, all_kinds
from tasks.kinds.base import TaskKind


class DocumentedField(OpenApiSerializerFieldExtension):
    """A kind's field that describes itself as JSON Schema (`tasks.kinds.base.Documented`)."""

    target_class = "tasks.kinds.base.Documented"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return copy.deepcopy(self.target.schema)


class OneOfField(OpenApiSerializerFieldExtension):
    """A kind's field that is one of several serializers (`tasks.kinds.base.OneOf`)."""

    target_class = "tasks.kinds.base.OneOf"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field = self.target
        proxy = PolymorphicProxySerializer(
            component_name=field.component, serializers=field.variants, resource_type_field_name=field.discriminator
        )
        return auto_schema.resolve_serializer(proxy, direction).ref


def described(entry: dict[str, Any]) -> dict[str, Any]:
    """A catalog entry as served: a serializer class in it becomes its JSON Schema."""
    return {
        key: request_schema(value) if isinstance(value, type) and issubclass(value, serializers.Serializer) else value
        for key, value in entry.items()
    }


def constant_field(value: str, **options: Any) -> serializers.Field:
    """A string field documented inline as the one value it takes (no shared enum component)."""
    field_class = extend_schema_field({"type": "string", "enum": [value]})(
        type("Constant", (serializers.CharField,), {})
    )
    return field_class(**options)


def _submission_serializer(kind: TaskKind) -> type[serializers.Serializer]:
    return type(
        f"{kind.name.title().replace('_', '')}Submission",
        (serializers.Serializer,),
        {
            "__doc__": kind.summary,
            # Only the default kind may be submitted without naming it (`{}` or no body).
            "kind": constant_field(kind.name, required=kind.name != DEFAULT_KIND),
            "params": kind.params_serializer(required=False),
            "callback_url": serializers.URLField(
                required=False,
                max_length=2048,
                help_text="Where to POST the final status, signed with your webhook secret (GET /me); needs a key.",
            ),
        },
    )


SUBMISSIONS = {kind.name: _submission_serializer(kind) for kind in all_kinds()}

SUBMIT_REQUEST = PolymorphicProxySerializer(
    component_name="TaskSubmission",
    # `{"kind", "params"}` for each kind, then the seed-style flat bodies kinds declare.
    serializers=[*SUBMISSIONS.values(), *(kind.flat.schema for kind in all_kinds() if kind.flat is not None)],
    # No discriminator: OpenAPI requires one to be a required property, and `kind` is optional.
    resource_type_field_name=None,
)


BATCH_REQUEST = PolymorphicProxySerializer(
    component_name="TaskSubmission",  # the same component: an array of what POST /task takes as JSON
    serializers=SUBMIT_REQUEST.serializers,
    resource_type_field_name=None,
    many=True,
)


def _form_body() -> OpenApiRequest:
    """multipart/form-data: the upload shape of each kind that declares one."""
    uploads = [kind.upload for kind in all_kinds() if kind.upload is not None]
    if len(uploads) == 1:
        return OpenApiRequest(uploads[0].schema, encoding=uploads[0].encoding)
    encoding = {name: part for upload in uploads for name, part in upload.encoding.items()}
    shapes = [upload.schema for upload in uploads]
    either = PolymorphicProxySerializer(component_name="TaskUpload", serializers=shapes, resource_type_field_name=None)
    return OpenApiRequest(either, encoding=encoding)


SUBMIT_BODIES = {"application/json": SUBMIT_REQUEST, "multipart/form-data": _form_body()}

TINY_PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)

SUBMIT_EXAMPLES = [
    OpenApiExample(
        "Demo task, defaults (same as an empty body)", value={}, request_only=True, media_type="application/json"
    ),
    OpenApiExample(
        "Sleep 1 second, 32 bytes of garbage",
        value={"kind": "sleep", "params": {"seconds": 1, "size": 32}},
        request_only=True,
        media_type="application/json",
    ),
    OpenApiExample(
        "Photo editor, base64 image in JSON",
        value={
            "kind": "image",
            "params": {
                "image": TINY_PNG,
                "filters": [{"op": "resize", "width": 64}, {"op": "sepia"}],
                "output": {"format": "png"},
            },
        },
        request_only=True,
        media_type="application/json",
    ),
    OpenApiExample(
        "Seed style: user code + compiler name (kind inferred)",
        value={"tranlator": "python3", "code": "print('Hello, stdout world!')"},
        request_only=True,
        media_type="application/json",
    ),
    OpenApiExample(
        "Seed style: filter + photo (kind inferred)",
        value={"filter": {"name": "Negative"}, "image": TINY_PNG},
        request_only=True,
        media_type="application/json",
    ),
    OpenApiExample(
        "Photo editor, file upload",
        value={"kind": "image", "filters": [{"op": "resize", "width": 800}, {"op": "grayscale"}]},
        request_only=True,
        media_type="multipart/form-data",
    ),
]


RESULT_EXAMPLES = [
    OpenApiExample(
        "The demo kind",
        value={
            "task_id": "5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1",
            "kind": "sleep",
            "result": {"slept_seconds": 2.0, "garbage": "4f1c0b9e2a7d4c3e8b6a5f0d1e2c3b4a"},
        },
        response_only=True,
    ),
    OpenApiExample(
        "The code runner",
        value={
            "task_id": "0b8e7c2a-3f4d-4e5a-9b6c-7d8e9f0a1b2c",
            "kind": "code",
            "result": {
                "verdict": "ok",
                "language": "python",
                "compile": None,
                "run": {
                    "exit_code": 0,
                    "stdout": "Hello, stdout world!\n",
                    "stdout_encoding": "utf-8",
                    "stderr": "",
                    "stderr_encoding": "utf-8",
                    "time_s": 0.012,
                    "signal": None,
                    "wall_s": 0.03,
                    "memory_kb": 9200,
                    "disk_kb": 4,
                    "truncated": False,
                },
            },
        },
        response_only=True,
    ),
    OpenApiExample(
        "An edited image, with Accept: application/json",
        value={
            "task_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "kind": "image",
            "result": {"content_type": "image/png", "encoding": "base64", "data": TINY_PNG},
        },
        response_only=True,
    ),
]

TASK_NOT_FOUND = problem(
    "No task with this id (or the id is not a UUID).",
    ("Unknown id", TaskNotFound, "No task with id 5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1."),
)
CAPACITY = problem(
    "The store or the execution queue is full, or the service is shutting down; see Retry-After.",
    ("Queue full", CapacityExhausted, "The execution queue is full (10000 tasks waiting); retry later."),
)


# Every content type a kind's result may have besides JSON, for GET /result's documentation.
BINARY_RESULT_TYPES = sorted({type_ for kind in all_kinds() for type_ in kind.result_types} - {"application/json"})


def kind_params_schemas() -> dict[str, dict[str, Any]]:
    return {name: request_schema(serializer)["properties"]["params"] for name, serializer in SUBMISSIONS.items()}


SUBMIT_INVALID = problem(
    "Bad JSON, unknown kind or invalid params (`errors` names each field), or a bad Idempotency-Key.",
    ("Unknown kind", UnknownKind, "Unknown task kind 'nope'; known kinds: sleep."),
    ("Bad params", InvalidParams, "params.seconds: Ensure this value is less than or equal to 60."),
    BAD_KEY,
)
REPLAYED_TASK_GONE = problem(
    "A retry with a known Idempotency-Key whose task has been deleted since: nothing is made again.",
    ("Task deleted", TaskNotFound, "No task with id 5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1."),
)
SUBMIT_KEY_IN_USE = problem("The first request with this Idempotency-Key is still being handled.", KEY_IN_USE)
BODY_TOO_LARGE = problem(
    "Body over REQUEST_MAX_BYTES.",
    ("Too large", RequestTooLarge, "The request body is larger than 29360128 bytes."),
)
BODY_NOT_JSON = problem(
    "Body is not JSON.",
    ("Not JSON", UnsupportedMediaType, 'Unsupported media type "text/plain" in request.'),
)
NO_RESULT = problem(
    "No result (yet): `task_status` says why; failed tasks give the reason in `detail`.",
    (
        "Still running",
        ResultUnavailable,
        "The task is still in progress; poll its status and try again.",
        {"task_status": "in_progress"},
    ),
)
BAD_LISTING = problem(
    "Bad filter, limit or cursor.",
    ("Bad status", InvalidRequest, 'status: "done" is not a valid choice.'),
)
ALREADY_FINISHED = problem(
    "The task already finished.",
    ("Finished", TaskAlreadyFinished, "The task is already ready; there is nothing to cancel."),
)
# A finished task's status, as GET /status (and POST /task with `Prefer: wait`) gives it.
STATUS_READY_EXAMPLE = {
    "task_id": "5f0c8a5e-8f0e-4ad8-9f58-0d5c8e3ea0c1",
    "kind": "sleep",
    "status": "ready",
    "state": "succeeded",
    "progress": 1.0,
    "created_at": "2026-12-01T16:00:00.000000Z",
    "started_at": "2026-12-01T16:00:00.001000Z",
    "finished_at": "2026-12-01T16:00:01.002000Z",
    "error": None,
    "cancel_requested": False,
    "result": {"content_type": "application/json", "size": 27, "filename": None, "meta": {}},
    "callbacks": [],
}
BATCH_INVALID = problem(
    "Not an array of 1 to TASK_MAX_BATCH task bodies, or some task is invalid (`errors` points at each as "
    "`#/<index>/...`): nothing was submitted. Or a bad Idempotency-Key.",
    (
        "Bad second task",
        InvalidBatch,
        "1.params.seconds: Ensure this value is less than or equal to 60.",
        {"errors": [{"pointer": "#/1/params/seconds", "detail": "Ensure this value is less than or equal to 60."}]},
    ),
    BAD_KEY,
)
BAD_WAIT = problem(
    "`wait` is not a number of seconds from 0 to TASK_MAX_WAIT_SECONDS.",
    ("Bad wait", InvalidRequest, "wait: Wait at most 30 seconds."),
)
TOO_MANY_WAITERS = problem(
    "This web process holds all the waiting requests it allows (or the caller all theirs): poll "
    "without `wait`, or retry after Retry-After.",
    (
        "Too many waiters",
        TooManyWaiters,
        "The service holds as many waiting requests as it allows; poll without `wait`, or retry in a second.",
    ),
)
METRICS_UNAUTHORIZED = problem(
    "The request does not carry METRICS_TOKEN (or the server has none set).",
    ("No token", MetricsTokenRequired, MetricsTokenRequired().args[0]),
)
NOT_READY = problem(
    "A component is not usable; `checks` names it.",
    ("Not ready", DependencyUnavailable, "Not ready: dispatcher (shutting down)."),
)
