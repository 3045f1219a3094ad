"""Per-caller ceilings and usage: declared by what spends compute (each task kind) and measured
by what holds it (the tasks app), applied and shown by the accounts app. The tasks app registers
both here when it starts, so accounts reads them without importing the app that makes them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.conf import settings


@dataclass(frozen=True, slots=True)
class Limit:
    """A per-caller ceiling, named as `GET /me` shows it (`max_time_s`).

    The service-wide maximum and the anonymous default are settings (read when asked, so tests
    and operators can change them); a declarer whose settings are not in settings.py gives their
    defaults here (from its own environment variables). A user's own value comes from their
    quota (the admin shows one field per declared limit) and is never above the maximum.
    """

    name: str
    help: str
    maximum_setting: str
    anonymous_setting: str
    integer: bool = True
    minimum: float = 1
    maximum_default: float | None = None
    anonymous_default: float | None = None

    def maximum(self) -> float:
        return _setting(self.maximum_setting, self.maximum_default)

    def anonymous(self) -> float:
        return min(_setting(self.anonymous_setting, self.anonymous_default), self.maximum())

    def capped(self, value: float) -> float:
        return min(value, self.maximum())


def _setting(name: str, default: float | None) -> float:
    return getattr(settings, name) if default is None else getattr(settings, name, default)


def maxima(limits: Iterable[Limit]) -> dict[str, float]:
    return {limit.name: limit.maximum() for limit in limits}


_declared: dict[str, tuple[Limit, ...]] = {}


def declare(scope: str, limits: tuple[Limit, ...]) -> None:
    """`scope` (a kind's name) rations callers by `limits`; declaring none leaves it out."""
    if limits:
        _declared[scope] = limits


def declared() -> Mapping[str, tuple[Limit, ...]]:
    """Scope -> its limits, for every scope that declared some."""
    return MappingProxyType(_declared)


Meter = Callable[[str], int]
_meters: dict[str, Meter] = {}


def meter(quota: str, measure: Meter) -> None:
    """`measure(owner)` counts what an owner uses against `quota` now (the tasks app counts its
    tasks in progress and stored bytes); accounts shows it beside the limit."""
    _meters[quota] = measure


def used(quota: str, owner: str) -> int:
    return _meters[quota](owner)
