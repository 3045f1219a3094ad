"""Idempotency keys in PostgreSQL (TASK_STORE=postgres), shared by every web process: the claim
is one `INSERT ... ON CONFLICT`, so of two concurrent requests with one key exactly one takes it
(the other waits on the unique index until the first commits, then sees its entry)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connection

from idempotency.stores import Entry

WHERE_KEY = "scope = %s AND owner = %s AND key = %s"


class PostgresKeyStore:
    def claim(
        self,
        scope: str,
        owner: str,
        key: str,
        fingerprint: str,
        *,
        at: datetime,
        stale_before: datetime,
        abandoned_before: datetime,
    ) -> Entry | None:
        with connection.cursor() as cursor:
            for _ in range(3):  # a held entry may be purged between the two statements: claim again
                cursor.execute(
                    "INSERT INTO idempotency_key AS held (scope, owner, key, fingerprint, reference, created_at)"
                    " VALUES (%s, %s, %s, %s, NULL, %s) ON CONFLICT (scope, owner, key) DO UPDATE"
                    " SET fingerprint = EXCLUDED.fingerprint, reference = NULL, created_at = EXCLUDED.created_at"
                    " WHERE held.created_at < %s OR (held.reference IS NULL AND held.created_at < %s) RETURNING 1",
                    [scope, owner, key, fingerprint, at, stale_before, abandoned_before],
                )
                if cursor.fetchone() is not None:
                    return None
                cursor.execute(
                    f"SELECT fingerprint, reference::text, created_at FROM idempotency_key WHERE {WHERE_KEY}",
                    [scope, owner, key],
                )
                row = cursor.fetchone()
                if row is not None:
                    fingerprint, reference, created_at = row
                    return Entry(fingerprint, json.loads(reference) if reference is not None else None, created_at)
        raise RuntimeError(f"idempotency key {key!r} neither claimed nor held after 3 tries")

    def complete(self, scope: str, owner: str, key: str, *, claimed_at: datetime, reference: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE idempotency_key SET reference = %s::jsonb WHERE {WHERE_KEY} AND created_at = %s"
                " AND reference IS NULL",
                [json.dumps(reference), scope, owner, key, claimed_at],
            )

    def release(self, scope: str, owner: str, key: str, *, claimed_at: datetime) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM idempotency_key WHERE {WHERE_KEY} AND created_at = %s AND reference IS NULL",
                [scope, owner, key, claimed_at],
            )

    def purge(self, *, stale_before: datetime) -> int:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM idempotency_key WHERE created_at < %s", [stale_before])
            return cursor.rowcount
