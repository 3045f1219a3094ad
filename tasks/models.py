"""Database tables of the PostgreSQL task store (used only when TASK_STORE=postgres)."""

from django.db import models


class TaskRecord(models.Model):
    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=64)
    params = models.JSONField()
    owner = models.CharField(max_length=150, null=True)
    status = models.CharField(max_length=16)
    progress = models.FloatField(default=0.0)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    heartbeat_at = models.DateTimeField(null=True)
    dispatched_at = models.DateTimeField(null=True)
    error = models.TextField(null=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)
    result_content_type = models.CharField(max_length=100, null=True)
    result_size = models.BigIntegerField(null=True)
    result_filename = models.CharField(max_length=255, null=True)
    result_meta = models.JSONField(null=True)
    input_bytes = models.BigIntegerField(default=0)  # params as JSON + inputs: Task.input_bytes
    reserved_bytes = models.BigIntegerField(default=0)  # room held for the result: Task.reserved_bytes
    callback_url = models.CharField(max_length=2048, null=True)
    callbacks = models.JSONField(default=list)  # the delivery attempts: Task.callbacks
    callback_due_at = models.DateTimeField(null=True)
    callback_style = models.CharField(max_length=32, null=True)  # Task.callback_style

    class Meta:
        db_table = "task"
        verbose_name = "task"
        indexes = [
            # GET /tasks: a caller's tasks, newest first (and the cursor's tie-break on id).
            models.Index(fields=["owner", "-created_at", "-id"], name="task_owner_created"),
            # The in-progress quota: counted on every submission.
            models.Index(fields=["owner", "status"], name="task_owner_status"),
            # Expiry and the lost-worker reaper: finished or running tasks by time.
            models.Index(fields=["status", "finished_at"], name="task_status_finished"),
            models.Index(fields=["status", "heartbeat_at"], name="task_status_heartbeat"),
            # Orphans only (queued, never handed over): the redispatch job's scan stays tiny.
            models.Index(
                fields=["created_at"],
                name="task_undispatched",
                condition=models.Q(status="queued", dispatched_at__isnull=True),
            ),
            # Webhook deliveries due (or overdue): the sweep's scan holds only those.
            models.Index(
                fields=["callback_due_at"], name="task_callback_due", condition=models.Q(callback_due_at__isnull=False)
            ),
        ]


class TaskBlob(models.Model):
    """Bytes that belong to a task (inputs such as images, and binary results), kept apart from
    the task row so that status reads never load them."""

    task = models.ForeignKey(TaskRecord, on_delete=models.CASCADE, related_name="blobs")
    name = models.CharField(max_length=64)
    data = models.BinaryField()

    class Meta:
        db_table = "task_blob"
        constraints = [models.UniqueConstraint(fields=["task", "name"], name="task_blob_unique_name")]


class OwnerUsage(models.Model):
    """One owner's tasks in progress and bytes held, kept by a database trigger (migration 0005)
    so the quota check on each submit reads one row; never written from Python."""

    owner = models.CharField(max_length=150, primary_key=True)
    active = models.IntegerField(default=0)
    stored_bytes = models.BigIntegerField(default=0)

    class Meta:
        db_table = "task_owner_usage"
