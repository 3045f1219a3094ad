"""A user's per-kind limits move into one JSON field, `kind_limits`, so a kind that declares new
limits needs no column (and no migration) of its own; the four columns' values move with them."""

from django.db import migrations, models

COLUMNS = {
    "code_max_time_s": ("code", "max_time_s"),
    "code_max_memory_mb": ("code", "max_memory_mb"),
    "image_max_pixels": ("image", "max_pixels"),
    "image_max_steps": ("image", "max_steps"),
}


def to_json(apps, schema_editor) -> None:  # noqa: ANN001 - Django's signature
    for quota in apps.get_model("accounts", "Quota").objects.all():
        for column, (kind, limit) in COLUMNS.items():
            if (value := getattr(quota, column)) is not None:
                quota.kind_limits.setdefault(kind, {})[limit] = value
        quota.save(update_fields=["kind_limits"])


def to_columns(apps, schema_editor) -> None:  # noqa: ANN001
    for quota in apps.get_model("accounts", "Quota").objects.all():
        for column, (kind, limit) in COLUMNS.items():
            setattr(quota, column, quota.kind_limits.get(kind, {}).get(limit))
        quota.save()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [
        migrations.AddField("quota", "kind_limits", models.JSONField(blank=True, default=dict)),
        migrations.RunPython(to_json, to_columns),
        *(migrations.RemoveField("quota", column) for column in COLUMNS),
    ]
