"""The base of every error a use case raises on purpose, carrying its HTTP meaning the way DRF's
APIException does: status, problem slug and title are class attributes, so the one problem
handler (httpapi.problems) answers any of them, and the OpenAPI examples take their titles from
the same classes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any, ClassVar

from django.conf import settings

# slug -> title of every ServiceError class: one title per slug, whichever class raises it.
_TITLES: dict[str, str] = {}


class ServiceError(Exception):
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "error"
    title: ClassVar[str] = "Error"
    # The JSON pointer the error is about, if it is about one member of the request.
    pointer: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        known = _TITLES.setdefault(cls.slug, cls.title)
        if known != cls.title:
            raise TypeError(f"{cls.__name__}: problem {cls.slug!r} is titled {known!r} elsewhere, not {cls.title!r}")

    def problem_detail(self, errors: list[dict[str, str]]) -> str:
        """The one-line `detail`, given what `problem_errors` returned."""
        return str(self)

    def problem_errors(self) -> list[dict[str, str]]:
        """RFC 9457 `errors`: each with a JSON pointer into the request and what is wrong there."""
        return [{"pointer": self.pointer, "detail": str(self)}] if self.pointer else []

    def problem_extra(self) -> dict[str, Any]:
        """Members beyond the standard ones (`quota`, `task_status`, ...)."""
        return {}

    def problem_headers(self) -> dict[str, str]:
        return {}


class NotFound(ServiceError):
    status = 404
    slug = "not-found"
    title = HTTPStatus.NOT_FOUND.phrase


class Unavailable(ServiceError):
    """The service cannot take this now (a store or queue is full, it is shutting down): retry."""

    status = 503
    slug = "capacity-exhausted"
    title = "Try again later"

    def problem_headers(self) -> dict[str, str]:
        return {"Retry-After": str(settings.TASK_RETRY_AFTER_SECONDS)}


class InvalidRequest(ServiceError):
    """What DRF's ValidationError becomes: a request that does not fit its serializer."""

    slug = "invalid-request"
    title = "Invalid request"


class InputTooLarge(ServiceError):
    """One input (e.g. an uploaded image) is over its byte limit; answered naming the field."""

    status = 413
    slug = "input-too-large"
    title = "Input too large"
    prefix: ClassVar[str] = "#/"  # where in the request the inputs are

    def __init__(self, field: str, limit: int) -> None:
        self.field = field
        super().__init__(f"{field} is larger than {limit:,} bytes.")

    def problem_errors(self) -> list[dict[str, str]]:
        return [{"pointer": self.prefix + self.field, "detail": str(self)}]


class StoreUnavailable(Unavailable):
    """What a database error becomes: the store cannot be reached, nothing was changed."""

    slug = "store-unavailable"

    def __init__(self) -> None:
        super().__init__("The task store (database) cannot be reached right now; nothing was changed. Retry later.")


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


def summarize(errors: list[dict[str, str]], fallback: str) -> str:
    """A one-line `detail` for a list of field errors: the first, and how many more."""
    if not errors:
        return fallback
    first = errors[0]
    where = first["pointer"].removeprefix("#").strip("/").replace("/", ".") or "body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['detail']}{more}"


class DependencyUnavailable(ServiceError):
    """A component the service needs (store, executor) does not answer."""

    status = 503
    slug = "not-ready"
    title = "Not ready"

    def __init__(self, failures: Mapping[str, str]) -> None:
        self.failures = dict(failures)
        names = ", ".join(f"{name} ({reason})" for name, reason in failures.items())
        super().__init__(f"Not ready: {names}.")

    def problem_extra(self) -> dict[str, Any]:
        return {"checks": self.failures}
