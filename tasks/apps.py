from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"

    def ready(self) -> None:
        """Connect the `task_finished` receivers in every process (web and Celery workers alike):
        the finish metrics, and the webhooks' hand-off; and declare each kind's per-caller
        limits and how to count an owner's use, which the accounts app applies and shows."""
        from core import limits
        from tasks import metrics, providers, services  # noqa: F401 - metrics, providers: their receivers
        from tasks.kinds import all_kinds

        for kind in all_kinds():
            limits.declare(kind.name, kind.limits)
        limits.meter("in_progress", lambda owner: services.count_in_progress(owner=owner))
        limits.meter("storage", lambda owner: services.stored_bytes(owner=owner))
