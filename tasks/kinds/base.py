"""What a task kind is: a params serializer plus a handler, and what a handler may use.

A handler returns a JSON-able value, or a `tasks.domain.TaskResult` for bytes (an image, say).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from django.core.signals import setting_changed
from django.dispatch import receiver
from rest_framework import serializers

from core.limits import Limit, maxima
from httpapi.serializers import StrictSerializer
from tasks.errors import InvalidParams


class Context(Protocol):
    """Handed to a running handler: report progress, notice cancellation."""

    def report_progress(self, fraction: float) -> None: ...

    def cancelled(self) -> bool: ...


class TaskCancelled(Exception):
    """Raised by a handler that noticed `context.cancelled()` and stopped early."""


Handler = Callable[[Context, Mapping[str, Any]], Any]
# One kind's ceilings for one caller: limit name -> value (see `Limit`).
Ceilings = Mapping[str, float]
# (validated params, params as asked, the caller's ceilings) -> params within them. Checks too
# costly for the serializer (an image decode) go here, after the cheap ceilings.
Restriction = Callable[[dict[str, Any], Mapping[str, Any], Ceilings], dict[str, Any]]


def unrestricted(params: dict[str, Any], asked: Mapping[str, Any], ceilings: Ceilings) -> dict[str, Any]:
    return params


SMALL_RESULT_BYTES = 64 * 1024


def small_result(params: Mapping[str, Any]) -> int:
    """The bound of a JSON result of a few fields, for kinds that declare none."""
    return SMALL_RESULT_BYTES


class Documented:
    """A params field that says how it reads in the API's documentation, as plain JSON Schema: a
    kind describes its fields, and `tasks/api/schema.py` shows them so (kinds do no OpenAPI work)."""

    schema: ClassVar[dict[str, Any]]


class OneOf:
    """A params field that is one of several serializers, picked by the value of `discriminator`;
    documented as the component `component` (a `oneOf` with a mapping)."""

    component: ClassVar[str]
    discriminator: ClassVar[str]
    variants: ClassVar[Mapping[str, type[serializers.Serializer]]]


def documented(field_class: type[serializers.Field], schema: dict[str, Any], **options: Any) -> serializers.Field:
    """A `field_class` field documented as `schema` (e.g. a form field pre-filled in Swagger UI)."""
    return type(f"Documented{field_class.__name__}", (Documented, field_class), {"schema": schema})(**options)


@dataclass(frozen=True, slots=True)
class FlatShape:
    """A seed-style body without `kind`/`params` (`{"code": ..., "compiler": ...}`): a body with
    any of `markers` is this kind, and `to_params` turns it into the kind's params (raising a
    ValidationError naming any key it does not take). `schema` documents it in OpenAPI."""

    markers: frozenset[str]
    to_params: Callable[[Mapping[str, Any]], dict[str, Any]]
    schema: type[serializers.Serializer]


def unknown_keys(body: Mapping[str, Any], allowed: set[str], shape: str) -> dict[str, list[str]]:
    """The errors for keys a flat body of `shape` does not take, one per key."""
    message = f"Not a field of a flat {shape} body ({', '.join(sorted(allowed))})."
    return {key: [message] for key in sorted(set(body) - allowed)}


@dataclass(frozen=True, slots=True)
class Upload:
    """A kind's multipart/form-data shape (`POST /task` with files). Every field but files is
    JSON; `lists` are fields whose repeated parts (or one part holding a JSON array) are one list,
    `blank` are text fields an empty value leaves out (Swagger UI sends every field of its form),
    `text` are fields that may also be plain text. `schema` and `encoding` document it."""

    schema: type[serializers.Serializer]
    lists: frozenset[str] = frozenset()
    blank: frozenset[str] = frozenset()
    text: frozenset[str] = frozenset()
    encoding: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Catalog:
    """What a kind lists at a URL of its own (`GET /filters`, `GET /languages`): `entries()` is
    built on each request (a host's languages can change), `entry` documents one of them. A value
    in an entry that is a serializer class is shown as its JSON Schema (the API builds it)."""

    path: str
    summary: str
    entry: type[serializers.Serializer]
    entries: Callable[[], list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class TaskKind:
    name: str
    summary: str
    params_serializer: type[serializers.Serializer]
    handler: Handler
    # Per-caller limits (anonymous callers get less): a value asked above the caller's ceiling
    # is a 400 naming it; a default above it is lowered to it.
    restrict: Restriction = unrestricted
    # Facts /readyz reports (name -> a function giving a one-line state), e.g. how code runs are isolated.
    readiness: Mapping[str, Callable[[], str]] = field(default_factory=dict)
    flat: FlatShape | None = None
    catalog: Catalog | None = None
    upload: Upload | None = None
    limits: tuple[Limit, ...] = ()
    # What a result may be: its content types, for GET /result's documentation.
    result_types: tuple[str, ...] = ("application/json",)
    # The most bytes a result of these (validated) params can take. It is reserved against the
    # caller's share and the store at submit (Task.reserved_bytes); a larger result fails the task.
    result_bound: Callable[[Mapping[str, Any]], int] = small_result
    # Run once per process at start (gunicorn's post_worker_init, Celery's worker_process_init): a
    # kind checks what it needs there, not in a request. It never raises: what is missing is for
    # /readyz and the kind's own refusal at submit to say.
    prepare: Callable[[], None] = lambda: None

    def validate(self, params: Any, ceilings: Ceilings | None = None) -> dict[str, Any]:
        """Clean the submitted params within `ceilings` (every limit the kind declares; None: the
        service-wide maxima); raises InvalidParams naming each bad field."""
        asked = {} if params is None else params
        try:
            cleaned = dict(shared_validator(self.params_serializer).run_validation(asked))
        except serializers.ValidationError as exc:
            raise InvalidParams(exc.detail) from None
        return self.restrict(cleaned, asked, self.maxima() if ceilings is None else ceilings)

    def maxima(self) -> dict[str, float]:
        return maxima(self.limits)


# One validator instance per params serializer. `run_validation` keeps no state on the instance
# (DRF's ListSerializer reuses one child for every item the same way), and building the fields
# anew for each submission was the largest cost of `POST /task`. Rebuilt when settings change.
_validators: dict[type[serializers.Serializer], serializers.Serializer] = {}


def shared_validator(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    validator = _validators.get(serializer_class)
    if validator is None:
        validator = serializer_class()
        _ = validator.fields  # build the fields now, before threads share the instance
        validator = _validators.setdefault(serializer_class, validator)
    return validator


@receiver(setting_changed)
def _forget_validators(**kwargs: Any) -> None:
    _validators.clear()


class ParamsSerializer(StrictSerializer):
    """Base of every kind's params serializer."""
