"""Per-owner usage (tasks in progress, bytes held), kept by a trigger on `task`.

The quota check on every submit summed all of the owner's rows (O(rows), 4-5 ms with a few
hundred); now it reads one row. The trigger sees every insert, delete and change of status or
size, whoever makes it (ORM, raw SQL, psql), so the counts cannot drift from the rows.
"""

from django.db import migrations, models

CREATE = """
INSERT INTO task_owner_usage (owner, active, stored_bytes)
SELECT owner, count(*) FILTER (WHERE status IN ('queued', 'running')), sum(input_bytes + coalesce(result_size, 0))
FROM task WHERE owner IS NOT NULL GROUP BY owner;

CREATE FUNCTION task_owner_usage_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.owner IS NOT NULL THEN
        UPDATE task_owner_usage
        SET active = active - (OLD.status IN ('queued', 'running'))::int,
            stored_bytes = stored_bytes - (OLD.input_bytes + coalesce(OLD.result_size, 0))
        WHERE owner = OLD.owner;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.owner IS NOT NULL THEN
        INSERT INTO task_owner_usage AS usage (owner, active, stored_bytes)
        VALUES (NEW.owner, (NEW.status IN ('queued', 'running'))::int, NEW.input_bytes + coalesce(NEW.result_size, 0))
        ON CONFLICT (owner) DO UPDATE
        SET active = usage.active + EXCLUDED.active, stored_bytes = usage.stored_bytes + EXCLUDED.stored_bytes;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER task_owner_usage AFTER INSERT OR DELETE OR UPDATE OF owner, status, input_bytes, result_size
ON task FOR EACH ROW EXECUTE FUNCTION task_owner_usage_apply();

-- TRUNCATE fires no row trigger: empty the counts with the rows.
CREATE FUNCTION task_owner_usage_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM task_owner_usage;
    RETURN NULL;
END $$;
CREATE TRIGGER task_owner_usage_reset AFTER TRUNCATE ON task FOR EACH STATEMENT
EXECUTE FUNCTION task_owner_usage_reset();
"""

DROP = """
DROP TRIGGER IF EXISTS task_owner_usage_reset ON task;
DROP FUNCTION IF EXISTS task_owner_usage_reset();
DROP TRIGGER IF EXISTS task_owner_usage ON task;
DROP FUNCTION IF EXISTS task_owner_usage_apply();
"""


def forwards(apps, schema_editor) -> None:  # noqa: ANN001 - Django's signature
    if schema_editor.connection.vendor == "postgresql":  # the embedded SQLite holds no tasks
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor) -> None:  # noqa: ANN001
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0004_dispatched_at")]
    operations = [
        migrations.CreateModel(
            name="OwnerUsage",
            fields=[
                ("owner", models.CharField(max_length=150, primary_key=True, serialize=False)),
                ("active", models.IntegerField(default=0)),
                ("stored_bytes", models.BigIntegerField(default=0)),
            ],
            options={"db_table": "task_owner_usage"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
