"""The HTTP API of tasks: thin DRF views over tasks.services, their serializers, URLs and the
OpenAPI documentation of each endpoint."""
