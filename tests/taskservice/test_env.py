"""Settings read from the environment: database URLs."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.env import env_database


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:////srv/data/db.sqlite3", "/srv/data/db.sqlite3"),  # four slashes: absolute
        ("sqlite:///var/db.sqlite3", "var/db.sqlite3"),  # three: relative to the working directory
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_paths(monkeypatch, url, name):
    monkeypatch.setenv("DB", url)
    config = env_database("DB", "")
    assert (config["ENGINE"], config["NAME"]) == ("django.db.backends.sqlite3", name)


def test_postgres_url(monkeypatch):
    monkeypatch.setenv("DB", "postgres://me:p%40ss@db.example:6543/tasks")
    config = env_database("DB", "", conn_max_age=60)
    assert {key: config[key] for key in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")} == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "tasks",
        "USER": "me",
        "PASSWORD": "p@ss",
        "HOST": "db.example",
        "PORT": 6543,
    }
    assert config["CONN_MAX_AGE"] == 60 and config["CONN_HEALTH_CHECKS"] is True


def test_the_query_string_and_a_unix_socket_are_kept(monkeypatch):
    """Issue 26 item 5: the hand-written parser dropped `?sslmode=require` and had no way to name
    a Unix socket."""
    monkeypatch.setenv("DB", "postgres://me@%2Fvar%2Frun%2Fpostgresql/tasks?sslmode=require")
    config = env_database("DB", "")
    assert config["HOST"] == "/var/run/postgresql" and config["OPTIONS"] == {"sslmode": "require"}


def test_default_and_unknown_scheme(monkeypatch):
    monkeypatch.delenv("DB", raising=False)
    assert env_database("DB", "sqlite:////x.db")["NAME"] == "/x.db"
    monkeypatch.setenv("DB", "mysql://x/y")
    with pytest.raises(ImproperlyConfigured, match="unsupported"):
        env_database("DB", "")
