"""Direct reads of a cluster's database, for facts the API does not expose (attempt counts)."""

import psycopg


def attempts_by_task(database_url: str, ids: list[str]) -> dict[str, int]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as connection:
        rows = connection.execute("SELECT id::text, attempts FROM task WHERE id::text = ANY(%s)", (ids,)).fetchall()
    return dict(rows)


def undispatched_ids(database_url: str) -> list[str]:
    """Queued tasks the dispatcher never got."""
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as connection:
        query = "SELECT id::text FROM task WHERE status = 'queued' AND dispatched_at IS NULL"
        return [row[0] for row in connection.execute(query).fetchall()]
