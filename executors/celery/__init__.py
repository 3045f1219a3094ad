"""The distributed executor: Celery workers (`celery -A taskservice worker`) and beat."""
