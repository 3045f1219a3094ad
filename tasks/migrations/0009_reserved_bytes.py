"""Room reserved for a task's result while it may still produce one, counted by the usage trigger.

A caller's share was checked at submit against inputs only, so results (20 test cases printing
16 MiB each) could grow past the share and the store after the submit said yes. Now a task holds
its kind's worst case from submit until it ends; then its real result (never larger) replaces it.
"""

from django.db import migrations, models

HELD = "{row}.input_bytes + coalesce({row}.result_size, CASE WHEN {row}.status IN ('queued', 'running') THEN {row}.reserved_bytes ELSE 0 END)"

FUNCTION = """
CREATE OR REPLACE FUNCTION task_owner_usage_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.owner IS NOT NULL THEN
        UPDATE task_owner_usage
        SET active = active - (OLD.status IN ('queued', 'running'))::int, stored_bytes = stored_bytes - (%(old)s)
        WHERE owner = OLD.owner;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.owner IS NOT NULL THEN
        INSERT INTO task_owner_usage AS usage (owner, active, stored_bytes)
        VALUES (NEW.owner, (NEW.status IN ('queued', 'running'))::int, %(new)s)
        ON CONFLICT (owner) DO UPDATE
        SET active = usage.active + EXCLUDED.active, stored_bytes = usage.stored_bytes + EXCLUDED.stored_bytes;
    END IF;
    RETURN NULL;
END $$;
"""

TRIGGER = """
DROP TRIGGER task_owner_usage ON task;
CREATE TRIGGER task_owner_usage AFTER INSERT OR DELETE OR UPDATE OF owner, status, input_bytes, result_size{extra}
ON task FOR EACH ROW EXECUTE FUNCTION task_owner_usage_apply();
"""

BEFORE = "{row}.input_bytes + coalesce({row}.result_size, 0)"


def _install(schema_editor, held: str, extra: str) -> None:  # noqa: ANN001 - Django's signature
    if schema_editor.connection.vendor != "postgresql":  # the embedded SQLite holds no tasks
        return
    schema_editor.execute(FUNCTION % {"old": held.format(row="OLD"), "new": held.format(row="NEW")})
    schema_editor.execute(TRIGGER.format(extra=extra))


def forwards(apps, schema_editor) -> None:  # noqa: ANN001
    _install(schema_editor, HELD, ", reserved_bytes")


def backwards(apps, schema_editor) -> None:  # noqa: ANN001
    _install(schema_editor, BEFORE, "")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0008_callbacks")]
    operations = [
        migrations.AddField(model_name="taskrecord", name="reserved_bytes", field=models.BigIntegerField(default=0)),
        migrations.RunPython(forwards, backwards),
    ]
