"""Request parsing with a size limit: a body is never read past REQUEST_MAX_BYTES."""

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class RequestTooLarge(APIException):
    status_code = 413
    default_code = "request-too-large"
    default_detail = "The request body is too large."


class BoundedJSONParser(JSONParser):
    """JSON bodies, refused over the limit before (or while) reading them; NaN/Infinity rejected."""

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
        try:
            return json.loads(body, parse_constant=_reject_constant)
        except ValueError as exc:  # includes bad UTF-8
            raise ParseError(f"JSON parse error - {exc}") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")
