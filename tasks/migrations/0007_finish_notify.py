"""A NOTIFY on channel `task_finished` (payload: the task id) when a task reaches a terminal status.

Waiters (`GET /status/{id}?wait`) in any web process LISTEN for it instead of polling the table.
A trigger, like the usage counts of 0005, so every path that finishes a task (a worker, a cancel,
the recovery job, psql) announces it; PostgreSQL sends it on commit, once per task and transaction.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION task_finished_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('task_finished', NEW.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER task_finished_notify AFTER UPDATE OF status ON task FOR EACH ROW
WHEN (NEW.status IN ('succeeded', 'failed', 'cancelled') AND OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION task_finished_notify();
"""

DROP = """
DROP TRIGGER IF EXISTS task_finished_notify ON task;
DROP FUNCTION IF EXISTS task_finished_notify();
"""


def forwards(apps, schema_editor) -> None:  # noqa: ANN001 - Django's signature
    if schema_editor.connection.vendor == "postgresql":  # the embedded SQLite holds no tasks
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor) -> None:  # noqa: ANN001
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0006_blob_storage_external")]
    operations = [migrations.RunPython(forwards, backwards)]
