"""The health check of a kept PostgreSQL connection: no round trip while the connection is
quiet, and a connection the server ended is still found unusable and replaced."""

import time

import psycopg
import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def own():
    """A connection of the test's own (ending it must not end the suite's)."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_the_settings_use_this_backend():
    assert type(connections["default"]).__module__ == "stores.postgres.backend.base"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_a_quiet_connection_is_usable_without_a_query(own, monkeypatch):
    def no_query(*args, **kwargs):
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(own.connection, "cursor", no_query)
    assert own.is_usable()


def test_a_connection_the_server_ended_is_unusable_and_replaced(own):
    pid = own.connection.info.backend_pid
    with psycopg.connect(**own.get_connection_params(), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
    deadline = time.monotonic() + 30
    while own.is_usable():  # the server's goodbye arrives a moment after the call returns
        assert time.monotonic() < deadline, "a terminated connection still looked usable"
        time.sleep(0.01)
    own.health_check_done = False  # as at the start of a request
    with own.cursor() as cursor:  # Django's check closes it and the query gets a new one
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_connection_inside_a_transaction_is_checked_with_a_query(own):
    with own.connection.cursor() as cursor:
        cursor.execute("BEGIN")
    assert own.is_usable()  # the SELECT 1 ran, and answered
    with own.connection.cursor() as cursor:
        cursor.execute("ROLLBACK")
