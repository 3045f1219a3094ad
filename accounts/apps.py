from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Access and quotas"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the bearer scheme with drf-spectacular)
