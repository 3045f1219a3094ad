"""Settings read from the environment: database URLs."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from taskservice.env import env_database


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
    assert env_database("DB", "") == {"ENGINE": "django.db.backends.sqlite3", "NAME": name}


def test_postgres_url(monkeypatch):
    monkeypatch.setenv("DB", "postgres://me:p%40ss@db.example:6543/tasks")
    assert env_database("DB", "") == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "tasks",
        "USER": "me",
        "PASSWORD": "p@ss",
        "HOST": "db.example",
        "PORT": "6543",
    }


def test_default_and_unknown_scheme(monkeypatch):
    monkeypatch.delenv("DB", raising=False)
    assert env_database("DB", "sqlite:////x.db")["NAME"] == "/x.db"
    monkeypatch.setenv("DB", "mysql://x/y")
    with pytest.raises(ImproperlyConfigured, match="unsupported"):
        env_database("DB", "")
