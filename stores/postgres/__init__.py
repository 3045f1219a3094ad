"""The PostgreSQL store (DATABASE_URL): shared by every process of every host, so the service can
run several workers and the Celery executor. The tables are the apps' own Django models."""

from __future__ import annotations

from stores.postgres.keys import PostgresKeyStore
from stores.postgres.records import PostgresRecordRepository
from stores.postgres.tasks import PostgresTaskRepository


def tasks() -> PostgresTaskRepository:
    return PostgresTaskRepository()


def records() -> PostgresRecordRepository:
    return PostgresRecordRepository()


def keys() -> PostgresKeyStore:
    return PostgresKeyStore()
