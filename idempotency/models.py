"""The PostgreSQL table of idempotency keys (TASK_STORE=postgres); the memory store keeps a dict."""

from django.db import models


class IdempotencyRecord(models.Model):
    """One key of one caller for one endpoint: the request's fingerprint and, once the request
    made what it makes, the reference to it (NULL while that request is still in flight)."""

    scope = models.CharField(max_length=32)
    owner = models.CharField(max_length=150)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    reference = models.JSONField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "idempotency_key"
        constraints = [models.UniqueConstraint(fields=["scope", "owner", "key"], name="idempotency_key_unique")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]
