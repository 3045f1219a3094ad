"""What a task kind is: a params serializer plus a handler, and what a handler may use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from rest_framework import serializers

from tasks.errors import InvalidParams
from taskservice.serializers import StrictSerializer


class Context(Protocol):
    """Handed to a running handler: report progress, notice cancellation."""

    def report_progress(self, fraction: float) -> None: ...

    def cancelled(self) -> bool: ...


class TaskCancelled(Exception):
    """Raised by a handler that noticed `context.cancelled()` and stopped early."""


@dataclass(frozen=True, slots=True)
class BinaryResult:
    """A handler's non-JSON output (an image, say), stored and served as these bytes."""

    data: bytes
    content_type: str
    filename: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


Handler = Callable[[Context, Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class TaskKind:
    name: str
    summary: str
    params_serializer: type[serializers.Serializer]
    handler: Handler

    def validate(self, params: Any) -> dict[str, Any]:
        """Clean the submitted params; raises InvalidParams naming each bad field."""
        serializer = self.params_serializer(data={} if params is None else params)
        if not serializer.is_valid():
            raise InvalidParams(serializer.errors)
        return dict(serializer.validated_data)


class ParamsSerializer(StrictSerializer):
    """Base of every kind's params serializer."""
