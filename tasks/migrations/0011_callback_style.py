"""The webhook's shape, for those that are not the service's own signed event (Judge0's PUT)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tasks", "0010_usage_deltas")]
    operations = [
        migrations.AddField(model_name="taskrecord", name="callback_style", field=models.CharField(max_length=32, null=True)),
    ]
