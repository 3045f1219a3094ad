"""Typed readers for environment variables: every setting has a safe default and a clear error."""

import os

from django.core.exceptions import ImproperlyConfigured


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def env_str(name: str, default: str, *, choices: tuple[str, ...] | None = None) -> str:
    value = _raw(name) or default
    if choices is not None and value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r} is not one of: {', '.join(choices)}.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off).")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if number < minimum or (maximum is not None and number > maximum):
        bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ImproperlyConfigured(f"{name}={number} must be {bounds}.")
    return number


def env_float(name: str, default: float, *, minimum: float = 0.0, maximum: float | None = None) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number.") from None
    if not (minimum <= number <= (maximum if maximum is not None else float("inf"))):
        bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ImproperlyConfigured(f"{name}={number} must be {bounds}.")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


SUPPORTED_DATABASES = ("django.db.backends.postgresql", "django.db.backends.sqlite3")


def env_database(name: str, default: str, *, conn_max_age: int = 0) -> dict:
    """A Django DATABASES entry from a URL, parsed by dj-database-url: postgres://user:password@
    host:port/name with its query string as OPTIONS (`?sslmode=require`), a Unix socket as an
    encoded host (`postgres://%2Fvar%2Frun%2Fpostgresql/name`), sqlite:///relative/path and
    sqlite:////absolute/path. Only the engines the service supports are taken."""
    import dj_database_url

    url = _raw(name) or default
    try:
        config = dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: unsupported database URL ({exc}); use postgres:// or sqlite://.") from None
    if config["ENGINE"] not in SUPPORTED_DATABASES:
        raise ImproperlyConfigured(f"{name}: unsupported database URL scheme (use postgres:// or sqlite://).")
    return config
