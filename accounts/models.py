"""API keys and per-user quota overrides. Users are Django's own."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiKey(models.Model):
    """One of a user's keys. Only the SHA-256 of the key is stored: it is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True, help_text="What the key is for, to tell keys apart.")
    prefix = models.CharField(max_length=16, unique=True, editable=False, help_text="Public part, for lookup.")
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Blank: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "api_key"
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name or 'key'} (tsk_{self.prefix}_…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


class Quota(models.Model):
    """A user's own limits; a blank field means the default from the settings."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    max_in_progress = models.PositiveIntegerField(
        null=True, blank=True, help_text="Tasks queued or running at once (QUOTA_USER_IN_PROGRESS)."
    )
    submissions_per_window = models.PositiveIntegerField(
        null=True, blank=True, help_text="Submissions per QUOTA_WINDOW_SECONDS (QUOTA_USER_SUBMISSIONS)."
    )
    # kind -> limit -> value, for the limits the kinds declare (tasks.kinds.base.Limit); a limit
    # not here is the service-wide maximum. The admin shows one field per declared limit.
    kind_limits = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "quota"

    def __str__(self) -> str:
        return f"quota of {self.user}"


class WebhookSecret(models.Model):
    """The key a user's webhooks are signed with (Standard Webhooks: `whsec_` + base64), made on
    first use and shown on /me."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    secret = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
