from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Tasks"

    def ready(self) -> None:
        """Connect the `task_finished` receivers in every process (web and Celery workers alike):
        the finish metrics, and the webhooks' hand-off."""
        from tasks import metrics, providers  # noqa: F401 - imported for their receivers
