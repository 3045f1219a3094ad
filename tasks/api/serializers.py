"""Request validation and the documented response shapes of the tasks API.

Responses on the hot paths are built by `presenters`; these classes document them in the
schema, and a test keeps the two in step.
"""

import json
import math
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from rest_framework import serializers

from httpapi.serializers import StrictSerializer
from tasks.domain import PublicStatus, TaskStatus
from tasks.errors import InvalidBatch
from tasks.kinds import all_kinds
from tasks.kinds.base import TaskKind, Upload
from tasks.services import CURSOR_PATTERN

MAX_PAGE = 100
SUBMISSION_FIELDS = frozenset({"kind", "params", "callback_url"})
PUBLIC_STATUSES = [status.value for status in PublicStatus]
STATES = [state.value for state in TaskStatus]


class Envelope(NamedTuple):
    kind: str | None
    params: Any
    callback_url: str | None = None


def parse_form_submission(form: QueryDict) -> Envelope:
    """multipart/form-data: `kind` and `callback_url` as text, files as they are, every other field
    a JSON value (a text field, or a part sent as application/json), read by the rules the kinds'
    uploads declare."""
    rules = _upload_rules()
    params: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name in form:
        value = form[name]
        if name in ("kind", "callback_url") or (name in rules.blank and value == ""):
            continue
        if isinstance(value, UploadedFile) and value.content_type != "application/json":
            params[name] = value
            continue
        try:
            params[name] = _form_json(form, name, as_list=name in rules.lists)
        except ValueError as exc:
            if name in rules.text:
                params[name] = value
                continue
            errors[name] = [f"Form fields other than kind and files hold JSON: {exc}."]
    if errors:
        raise serializers.ValidationError(errors)
    if "kind" not in form:
        if (flat := _flat_kind(params)) is not None:
            return Envelope(flat.name, flat.flat.to_params(params), form.get("callback_url"))
        # The demo default is for an empty JSON body; an empty or kind-less form is a mistake.
        raise serializers.ValidationError({"kind": ["A multipart body names its kind (kind=image) or sends an image."]})
    return Envelope(form.get("kind"), params, form.get("callback_url"))


class _FormRules(NamedTuple):
    lists: frozenset[str]
    blank: frozenset[str]
    text: frozenset[str]


def _upload_rules() -> _FormRules:
    """Every kind's form rules together: a form need not name its kind (an `image` file says it)."""
    uploads: list[Upload] = [kind.upload for kind in all_kinds() if kind.upload is not None]
    return _FormRules(
        lists=frozenset().union(*(upload.lists for upload in uploads)),
        blank=frozenset().union(*(upload.blank for upload in uploads)),
        text=frozenset().union(*(upload.text for upload in uploads)),
    )


def _form_json(form: QueryDict, name: str, *, as_list: bool) -> Any:
    """A field's JSON value; repeated parts (Swagger UI sends a list one item per part) are a list,
    and for a list field so is one part holding a JSON array."""
    # A part sent as application/json (as Swagger UI sends these, per the schema's encoding) comes
    # in as a file; its size is bounded by the request's.
    values = [json.loads(part.read() if isinstance(part, UploadedFile) else part) for part in form.getlist(name)]
    if as_list and len(values) == 1 and isinstance(values[0], list):
        return values[0]  # one part holding the whole array
    return values if as_list or len(values) > 1 else values[0]


def _flat_kind(data: Mapping[str, Any]) -> TaskKind | None:
    """The kind a seed-style body (no `kind`, no `params`) is, from its marker keys; a body with
    the markers of two kinds (`code` and `image`) is a 400 naming them."""
    found = [kind for kind in all_kinds() if kind.flat is not None and kind.flat.markers & set(data)]
    if len(found) > 1:
        keys = sorted(key for kind in found for key in kind.flat.markers & set(data))
        raise serializers.ValidationError({key: [f"A task is one of {' or '.join(keys)}, not both."] for key in keys})
    return found[0] if found else None


def parse_submission(data: Any) -> Envelope:
    """The `{"kind", "params", "callback_url"}` envelope of `POST /task`; `{}` means the default kind.

    Checked by hand, not by a serializer: it is two fields on the hottest path, and a DRF
    serializer instance costs more than the rest of the submit (bench/api.py). The params are
    validated by the kind's own serializer, which also documents the envelope in the schema.
    """
    if not isinstance(data, Mapping):
        raise serializers.ValidationError(["Expected a JSON object with `kind` and `params`."])
    if not SUBMISSION_FIELDS & set(data) and (flat := _flat_kind(data)) is not None:
        return Envelope(flat.name, flat.flat.to_params(data))
    errors = {name: ["Unknown field."] for name in sorted(set(data) - SUBMISSION_FIELDS)}
    if "kind" in data and not isinstance(data["kind"], str):
        errors["kind"] = ["Must be a string naming a task kind; leave it out for the default."]
    if "params" in data and not isinstance(data["params"], Mapping):
        errors["params"] = ["Must be a JSON object; leave it out for the kind's defaults."]
    if "callback_url" in data and not isinstance(data["callback_url"], str):
        errors["callback_url"] = ["Must be a URL string; leave it out for no webhook."]
    if errors:
        raise serializers.ValidationError(errors)
    return Envelope(data.get("kind"), data.get("params"), data.get("callback_url"))


def parse_batch(data: Any) -> list[Envelope]:
    """The body of `POST /tasks/batch`: a JSON array of 1 to TASK_MAX_BATCH `POST /task` bodies,
    every envelope error pointed at `#/<index>/...` (InvalidBatch)."""
    most = settings.TASK_MAX_BATCH
    if not isinstance(data, list) or not 1 <= len(data) <= most:
        raise InvalidBatch([{"pointer": "#", "detail": f"Expected a JSON array of 1 to {most} task bodies."}])
    items, errors = [], []
    for index, body in enumerate(data):
        try:
            items.append(parse_submission(body))
        except serializers.ValidationError as exc:
            errors += InvalidBatch.at(index, exc)
    if errors:
        raise InvalidBatch(errors)
    return items


class ResultEnvelopeSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    kind = serializers.CharField()
    result = serializers.JSONField(
        help_text="The kind's value: the code runner's verdict object, the demo's `{slept_seconds, garbage}`, or "
        "for an image asked as JSON `{content_type, encoding: base64, data}`."
    )


class TaskCreatedSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=[PublicStatus.IN_PROGRESS.value])


class ResultInfoSerializer(serializers.Serializer):
    content_type = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    filename = serializers.CharField(allow_null=True)
    meta = serializers.DictField(help_text="Kind-specific facts about the result (e.g. image dimensions).")


class CallbackAttemptSerializer(serializers.Serializer):
    attempt = serializers.IntegerField(min_value=1)
    at = serializers.DateTimeField()
    outcome = serializers.ChoiceField(
        choices=["delivered", "retrying", "failed"], help_text="`retrying`: another attempt will follow."
    )
    status_code = serializers.IntegerField(allow_null=True, help_text="The receiver's answer; null if none came.")
    error = serializers.CharField(allow_null=True, help_text="Why it did not count as delivered.")
    duration_ms = serializers.FloatField()


class TaskStatusSerializer(serializers.Serializer):
    task_id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.ChoiceField(
        choices=PUBLIC_STATUSES,
        help_text="`in_progress` while queued or running, `ready` once the result can be fetched.",
    )
    state = serializers.ChoiceField(choices=STATES, help_text="Finer-grained lifecycle state.")
    progress = serializers.FloatField(min_value=0.0, max_value=1.0)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(allow_null=True, help_text="Why the task failed.")
    cancel_requested = serializers.BooleanField()
    result = ResultInfoSerializer(allow_null=True, help_text="Set once the task is ready.")
    callbacks = CallbackAttemptSerializer(
        many=True, help_text="Webhook deliveries of the final status to `callback_url`, oldest first."
    )


class TaskListQuerySerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=PUBLIC_STATUSES, required=False)
    kind = serializers.CharField(required=False, max_length=64)
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=MAX_PAGE)
    cursor = serializers.RegexField(
        CURSOR_PATTERN, required=False, max_length=49, help_text="From `next` of the previous page."
    )


class StatusQuerySerializer(serializers.Serializer):
    wait = serializers.FloatField(
        required=False,
        min_value=0,
        help_text="Seconds to wait for the task to finish before answering (0 to TASK_MAX_WAIT_SECONDS, "
        "30 by default): the answer comes as soon as it leaves `in_progress`, or with `in_progress` "
        "when the time is up.",
    )

    def validate_wait(self, value: float) -> float:
        if not math.isfinite(value) or value > settings.TASK_MAX_WAIT_SECONDS:
            raise serializers.ValidationError(f"Wait at most {settings.TASK_MAX_WAIT_SECONDS:g} seconds.")
        return value


DELTA_SECONDS = re.compile(r"[0-9]{1,10}")


def preferred_wait(prefer: str | None) -> float | None:
    """The `wait=<seconds>` of a `Prefer` header (RFC 7240), capped at TASK_MAX_WAIT_SECONDS; None
    when there is none or it is not delta-seconds (a preference not understood is ignored)."""
    for preference in (prefer or "").split(","):
        name, _, value = preference.partition(";")[0].partition("=")
        if name.strip().lower() == "wait":
            value = value.strip().strip('"')
            return min(float(value), settings.TASK_MAX_WAIT_SECONDS) if DELTA_SECONDS.fullmatch(value) else None
    return None


class TaskBatchCreatedSerializer(serializers.Serializer):
    task_ids = serializers.ListField(child=serializers.UUIDField(), help_text="One id per task, in the batch's order.")


class TaskPageSerializer(serializers.Serializer):
    results = TaskStatusSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="URL of the next page, null on the last one.")


class KindSerializer(serializers.Serializer):
    name = serializers.CharField()
    summary = serializers.CharField()
    params_schema = serializers.DictField(help_text="JSON Schema of `params` for this kind.")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])


class ReadinessSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok"])
    checks = serializers.DictField(
        child=serializers.CharField(),
        help_text=(
            "`ok` per component; `sandbox` tells how code runs are isolated (see GET /languages), "
            "`image_convolutions` what runs the photo editor's blur and sharpen (libvips or Pillow)."
        ),
    )
