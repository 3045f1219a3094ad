"""Request parsing with a size limit: a body is never read past REQUEST_MAX_BYTES."""

import io
import json
import re
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser, MultiPartParser

from httpapi.refusals import body_too_large


class RequestTooLarge(APIException):
    status_code = 413
    default_code = "request-too-large"
    default_detail = "The request body is too large."


class BoundedJSONParser(JSONParser):
    """JSON bodies, refused over the limit before (or while) reading them; NaN/Infinity rejected."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        limit = settings.REQUEST_MAX_BYTES
        too_large = RequestTooLarge(body_too_large(limit))
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise too_large
        try:
            data = json.loads(body, parse_constant=_reject_constant)
        except ValueError as exc:  # includes bad UTF-8
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        if b"\\u" in body:  # only an escape can make a lone surrogate or a NUL: most bodies skip the walk
            _check_text(data)
        return data


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def _check_text(data: Any) -> None:
    """Refuse strings (keys too) that no store can keep: lone surrogates are not text at all (a
    poisoned record once made every later read a 500), and PostgreSQL refuses NUL. Iterative:
    the input may be thousands deep."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and (found := _UNSTORABLE.search(value)):
            what = "NUL (\\u0000)" if found.group() == "\x00" else f"a lone surrogate (\\u{ord(found.group()):04x})"
            raise ParseError(f"JSON text holds {what}, which cannot be stored; send valid Unicode without it.")


class BoundedUploadHandler(FileUploadHandler):
    """Keeps uploaded files in memory and stops reading a file once it passes `limit` bytes.

    The chunks are joined once at the end, into a file whose whole read hands back those very
    bytes: a BytesIO written chunk by chunk reallocated its way up (the handler's share of a
    profile of 6.9 MB photo submits), and reading it whole made one more copy."""

    def __init__(self, request: Any, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.chunks: list[bytes] = []

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.chunks = []

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if start + len(raw_data) > self.limit:
            raise UploadTooLarge(self.field_name, self.limit)
        self.chunks.append(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        data, self.chunks = b"".join(self.chunks), []
        return InMemoryUploadedFile(
            io.BytesIO(data), self.field_name, self.file_name, self.content_type, file_size, self.charset
        )


class UploadTooLarge(RequestTooLarge):
    """Raised while a file streams in (Django's upload handlers need an exception it lets through);
    answered as core.errors.InputTooLarge."""

    def __init__(self, field: str, limit: int) -> None:
        self.field = field
        self.limit = limit
        super().__init__(f"{field} is larger than {limit:,} bytes.")


class BoundedMultiPartParser(MultiPartParser):
    """multipart/form-data with a total limit (REQUEST_MAX_BYTES) and a per-file limit
    (IMAGE_MAX_BYTES) enforced while the upload streams in, before it is all in memory."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        request = (parser_context or {})["request"]
        declared = request.META.get("CONTENT_LENGTH")
        if declared and declared.isdigit() and int(declared) > settings.REQUEST_MAX_BYTES:
            raise RequestTooLarge(body_too_large(settings.REQUEST_MAX_BYTES))
        request.upload_handlers = [BoundedUploadHandler(request, settings.IMAGE_MAX_BYTES)]
        return super().parse(stream, media_type, parser_context)
