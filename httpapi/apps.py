from django.apps import AppConfig


class HttpApiConfig(AppConfig):
    """The HTTP plumbing every app shares: problem details and the errors behind them, bounded
    parsers, strict serializer fields, OpenAPI helpers and the middleware that refuses early."""

    name = "httpapi"
    verbose_name = "HTTP API plumbing"
