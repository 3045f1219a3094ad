"""Delete finished tasks older than TASK_TTL_SECONDS; for cron, or run by Celery beat."""

from django.core.management.base import BaseCommand

from tasks import providers, services


class Command(BaseCommand):
    help = "Delete finished tasks (and their inputs and results) older than TASK_TTL_SECONDS."

    def handle(self, *args: object, **options: object) -> None:
        purged = services.purge_expired(providers.task_repository())
        self.stdout.write(f"purged {purged} expired task(s)")
