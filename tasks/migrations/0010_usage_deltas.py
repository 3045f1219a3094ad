"""The usage trigger writes only what changed: one UPDATE of the owner's row per change of a task
that moves its counts, none for one that does not.

It ran two statements (take the old row's share away, add the new one's) on every update of a
watched column, so a claim (queued -> running: the same counts) and a finish cost the usage row
four writes; a task's life now costs it two (its insert, its finish) besides the submit's lock.
"""

import importlib

from django.db import migrations

reserved = importlib.import_module("tasks.migrations.0009_reserved_bytes")

ACTIVE = "({row}.status IN ('queued', 'running'))"
FUNCTION = """
CREATE OR REPLACE FUNCTION task_owner_usage_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.owner IS NOT DISTINCT FROM NEW.owner THEN
        UPDATE task_owner_usage
        SET active = active + %(new_active)s::int - %(old_active)s::int,
            stored_bytes = stored_bytes + (%(new)s) - (%(old)s)
        WHERE owner = NEW.owner;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.owner IS NOT NULL THEN
        UPDATE task_owner_usage
        SET active = active - %(old_active)s::int, stored_bytes = stored_bytes - (%(old)s)
        WHERE owner = OLD.owner;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.owner IS NOT NULL THEN
        INSERT INTO task_owner_usage AS usage (owner, active, stored_bytes)
        VALUES (NEW.owner, %(new_active)s::int, %(new)s)
        ON CONFLICT (owner) DO UPDATE
        SET active = usage.active + EXCLUDED.active, stored_bytes = usage.stored_bytes + EXCLUDED.stored_bytes;
    END IF;
    RETURN NULL;
END $$;
"""
# A WHEN may name OLD and NEW only in an UPDATE trigger: inserts and deletes have one of their own.
TRIGGERS = """
DROP TRIGGER task_owner_usage ON task;
CREATE TRIGGER task_owner_usage AFTER INSERT OR DELETE ON task
FOR EACH ROW EXECUTE FUNCTION task_owner_usage_apply();
CREATE TRIGGER task_owner_usage_change AFTER UPDATE OF owner, status, input_bytes, result_size, reserved_bytes ON task
FOR EACH ROW WHEN (
    OLD.owner IS DISTINCT FROM NEW.owner
    OR %(old_active)s IS DISTINCT FROM %(new_active)s
    OR (%(old)s) IS DISTINCT FROM (%(new)s)
) EXECUTE FUNCTION task_owner_usage_apply();
"""
UNDO = "DROP TRIGGER task_owner_usage_change ON task;"


def _shares() -> dict[str, str]:
    return {
        "old": reserved.HELD.format(row="OLD"),
        "new": reserved.HELD.format(row="NEW"),
        "old_active": ACTIVE.format(row="OLD"),
        "new_active": ACTIVE.format(row="NEW"),
    }


def forwards(apps, schema_editor) -> None:  # noqa: ANN001 - Django's signature
    if schema_editor.connection.vendor != "postgresql":  # the embedded SQLite holds no tasks
        return
    schema_editor.execute(FUNCTION % _shares())
    schema_editor.execute(TRIGGERS % _shares())


def backwards(apps, schema_editor) -> None:  # noqa: ANN001
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(UNDO)
    reserved.forwards(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0009_reserved_bytes")]
    operations = [migrations.RunPython(forwards, backwards)]
