"""A PostgreSQL-native queue measured as bench/bare_celery.py measures Celery: a bare procrastinate
app, a no-op task, its jobs in PostgreSQL (the job row is the message; a worker takes one with
`SELECT ... FOR UPDATE SKIP LOCKED`, is woken by LISTEN/NOTIFY, and writes its end to the row).

Run by bench/scale.py as `procrastinate --app bench.bare_procrastinate.app worker`;
BARE_PROCRASTINATE_URL picks the database (made afresh by the benchmark).
"""

import os

from procrastinate import App, PsycopgConnector

URL = os.environ.get("BARE_PROCRASTINATE_URL", "postgresql://postgres@127.0.0.1:5432/procrastinate_bench")

app = App(connector=PsycopgConnector(conninfo=URL))


@app.task(name="bare.noop")
def noop() -> None:
    """Nothing: what is measured is procrastinate's own cost per job."""
