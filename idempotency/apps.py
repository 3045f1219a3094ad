from django.apps import AppConfig


class IdempotencyConfig(AppConfig):
    """`Idempotency-Key` for the creating endpoints (POST /task, POST /new): a retried request
    makes nothing new and gets the first one's outcome."""

    name = "idempotency"
    default_auto_field = "django.db.models.BigAutoField"
