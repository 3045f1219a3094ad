"""Django's PostgreSQL backend, but a kept connection is checked without a round trip.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request and of
every Celery job: on the distributed path that was one round trip in three (submit: check,
insert, mark; status: check, read). A connection idle between queries has nothing to read, so
here the check asks the socket instead: nothing readable (no bytes, no hang-up) means the server
has neither closed it nor said anything since the last answer; anything else (a restart's
"terminating connection", a hang-up, a notice) falls back to Django's `SELECT 1`. What neither
check can see (a peer gone without a word) fails the query, as it does between a check and a query.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as DjangoDatabaseWrapper
from psycopg.pq import ConnStatus, TransactionStatus

_ANYTHING = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR


def quiet(connection: object) -> bool:
    """Whether an idle, open psycopg connection has nothing waiting on its socket (a syscall)."""
    pgconn = connection.pgconn
    if connection.closed or pgconn.status != ConnStatus.OK or pgconn.transaction_status != TransactionStatus.IDLE:
        return False
    poller = select.poll()
    poller.register(pgconn.socket, _ANYTHING)
    return not poller.poll(0)


class DatabaseWrapper(DjangoDatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is not None and quiet(self.connection):
            return True
        return super().is_usable()
