"""The executor service's sweep of expired idempotency keys (PostgreSQL; the memory store drops
them as it goes)."""

from celery import shared_task

from idempotency import services


@shared_task(name="idempotency.jobs.purge_expired_keys")
def purge_expired_keys() -> int:
    return services.purge_expired()
