"""Request parsing with a size limit: a body is never read past REQUEST_MAX_BYTES."""

import io
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser


class RequestTooLarge(APIException):
    status_code = 413
    default_code = "request-too-large"
    default_detail = "The request body is too large."


class BoundedJSONParser(JSONParser):
    """JSONParser that refuses bodies over the limit before (or while) reading them."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = settings.REQUEST_MAX_BYTES
        too_large = RequestTooLarge(f"The request body is larger than {limit} bytes.")
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise too_large
        return super().parse(io.BytesIO(body), media_type, parser_context)
