from django.apps import AppConfig


class Judge0ApiConfig(AppConfig):
    name = "judge0api"
    verbose_name = "Judge0 API"

    def ready(self) -> None:
        """Judge0's callback (a PUT of the submission) is a webhook style: registered in every
        process, the Celery workers that deliver webhooks included."""
        from judge0api.callbacks import STYLE
        from tasks import callbacks

        callbacks.register_style("judge0", STYLE)
