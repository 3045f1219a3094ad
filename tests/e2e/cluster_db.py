"""Direct reads of a cluster's database, for facts the API does not expose (attempt counts)."""

import psycopg


def attempts_by_task(database_url: str, ids: list[str]) -> dict[str, int]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as connection:
        rows = connection.execute("SELECT id::text, attempts FROM task WHERE id::text = ANY(%s)", (ids,)).fetchall()
    return dict(rows)
