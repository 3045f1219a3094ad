"""Serializer building blocks shared by every app, and the documented shape of errors."""

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """A serializer that names unknown fields as errors instead of silently dropping them."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = {}
        if isinstance(data, Mapping):
            unknown = {name: ["Unknown field."] for name in sorted(set(data) - set(self.fields))}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class FieldErrorSerializer(serializers.Serializer):
    pointer = serializers.CharField(help_text="JSON pointer into the request, e.g. `#/params/seconds`.")
    detail = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (`application/problem+json`)."""

    type = serializers.CharField(
        help_text="URI naming the kind of problem, e.g. `urn:taskservice:problem:task-not-found`."
    )
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    errors = FieldErrorSerializer(many=True, required=False, help_text="Per-field messages.")
    task_status = serializers.CharField(required=False, help_text="On 409: the task's current status.")
    checks = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="On readiness failures: what failed."
    )
    quota = serializers.ChoiceField(
        choices=[
            "in_progress",
            "submissions",
            "storage",
            "records",
            "record_bytes",
            "registrations",
            "login_attempts",
            "login_failures",
        ],
        required=False,
        help_text="On 429: the quota used up.",
    )
    limit = serializers.IntegerField(required=False, help_text="On 429: that quota's limit for this caller.")
    used = serializers.IntegerField(required=False, help_text="On 429: how much of it is in use.")


class StrictFloatField(serializers.FloatField):
    """A JSON number only: DRF would also take `true` or `"1.5"` and coerce them."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only (no booleans, strings or floats)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean only (DRF would also take 0, 1, "yes", "on", ...)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictCharField(serializers.CharField):
    """A JSON string only (DRF would turn 5 into "5"); whitespace kept as sent by default."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
