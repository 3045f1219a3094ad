"""The records API at the site root, exactly as its specification names the paths."""

import functools
import json
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.callers import owner_of
from accounts.schema import UNAUTHORIZED
from accounts.throttles import charge_records
from core.quotas import QuotaExceeded
from httpapi.openapi import problem
from idempotency import services as idempotency
from idempotency.openapi import BAD_KEY, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, KEY_IN_USE, KEY_REUSED
from records import services
from records.domain import Record
from records.errors import (
    DuplicateRecord,
    InvalidCount,
    InvalidRecords,
    NotARecordPath,
    RecordNotFound,
    RecordStoreFull,
)
from records.serializers import NEW_RECORDS_SCHEMA, RECORD_OR_RECORDS_SCHEMA, RecordSerializer

EXAMPLE = [
    {"uuid": "e48d41d0-6e53-490a-9d9a-fd4337f28038", "text": "test example"},
    {"uuid": "eddd8cd7-1128-4b83-98d4-7cde1514625e", "text": "another example"},
]
NOT_FOUND = problem(
    "No such record (or a path that is neither a uuid nor a count).",
    ("Unknown", RecordNotFound, "No record with uuid e48d41d0-6e53-490a-9d9a-fd4337f28038."),
)
# The schema states exactly what the code takes: a 30-digit count is invalid by both.
GET_KEY = OpenApiParameter(
    "key",
    {
        "oneOf": [
            {"type": "string", "format": "uuid"},
            {"type": "integer", "minimum": 0, "maximum": settings.RECORDS_MAX_COUNT},
        ]
    },
    OpenApiParameter.PATH,
    description=f"A record's uuid, or a count (0..{settings.RECORDS_MAX_COUNT:,}) of oldest records.",
)
DELETE_KEY = OpenApiParameter("key", OpenApiTypes.UUID, OpenApiParameter.PATH, description="A record's uuid.")


def _charge(request: Request, batch: list[Record]) -> None:
    charge_records(request, items=len(batch), size=sum(len(record.text.encode()) for record in batch))


class NewRecordsView(APIView):
    authentication_classes = [ApiKeyAuthentication]  # a key's user gets the user quotas

    @extend_schema(
        operation_id="records_new",
        summary="Save one record, or a list of them (all or nothing)",
        description='A single `{"text", "uuid"?}` object is saved and answered as the stored object; a '
        "list is saved whole or not at all and answered as the stored list. A missing uuid is generated.",
        request={"application/json": NEW_RECORDS_SCHEMA},
        parameters=[IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED],
        examples=[
            OpenApiExample("One record (uuid generated)", value={"text": "a1b2c3d4e5f6g7h8"}, request_only=True),
            OpenApiExample("Two records", value=EXAMPLE, request_only=True),
            OpenApiExample("Saved (a list in)", value=EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        responses={
            **UNAUTHORIZED,
            200: OpenApiResponse(
                RECORD_OR_RECORDS_SCHEMA,
                description="A retry with a known Idempotency-Key (`Idempotent-Replayed: true`): the first answer; "
                "nothing was saved again.",
            ),
            201: OpenApiResponse(
                RECORD_OR_RECORDS_SCHEMA, description="The stored object for an object; the stored list for a list."
            ),
            **problem(
                "Not an object or array, empty, too many items, or a bad item (`errors` names index and field); "
                "or a bad Idempotency-Key.",
                ("Bad item", InvalidRecords, "#/1/text: Required: a string."),
                BAD_KEY,
            ),
            **problem(
                "A uuid exists already or repeats in the batch; nothing was saved. Or the first request with this "
                "Idempotency-Key is still being handled.",
                ("Duplicate", DuplicateRecord, "Record e48d41d0-... already exists."),
                KEY_IN_USE,
            ),
            **KEY_REUSED,
            **problem(
                "A retry with a known Idempotency-Key whose records were deleted since: the first answer cannot "
                "be read back.",
                ("Deleted since", RecordNotFound, "No record with uuid e48d41d0-6e53-490a-9d9a-fd4337f28038."),
            ),
            **problem(
                "Over the caller's records or bytes per window (RECORDS_QUOTA_*), or over their share of the "
                "in-memory store (RECORDS_SHARE_*: `stored_records`, `stored_record_bytes`); `quota`, `limit`, "
                "`used` say which, Retry-After when the window resets. Nothing was saved.",
                ("Over quota", QuotaExceeded, "You may save 16,777,216 bytes of text per 60 s; ..."),
            ),
            **problem(
                "The store is full (RECORDS_MAX_STORED records or RECORDS_MAX_STORED_BYTES); retry later.",
                ("Full", RecordStoreFull, "The record store is full (536,870,912 bytes); ..."),
            ),
        },
        tags=["records"],
    )
    def post(self, request: Request) -> Response:
        key = idempotency.parse_key(request.headers.get("Idempotency-Key"))
        share = settings.RECORDS_SHARE_USER if request.user.is_authenticated else settings.RECORDS_SHARE_ANON
        saved = services.save(
            data=request.data,
            owner=owner_of(request),
            share=share,
            idempotency_key=key,
            ration=functools.partial(_charge, request),
        )
        if saved.replayed:
            return Response(saved.body, headers={"Idempotent-Replayed": "true"})
        return Response(saved.body, status=status.HTTP_201_CREATED)


class AllRecordsView(APIView):
    @extend_schema(
        operation_id="records_all",
        summary="Every record, in insertion order (streamed)",
        responses={**UNAUTHORIZED, 200: RecordSerializer(many=True)},
        tags=["records"],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return StreamingHttpResponse(_json_array(services.all_records()), content_type="application/json")


class RecordByKeyView(APIView):
    @extend_schema(
        operation_id="records_get",
        summary="One record by uuid, or the oldest <count> records",
        parameters=[GET_KEY],
        responses={
            **UNAUTHORIZED,
            200: OpenApiResponse(
                RECORD_OR_RECORDS_SCHEMA, description="`{uuid, text}` for a uuid; `[{uuid, text}, ...]` for a count."
            ),
            **problem("A count above RECORDS_MAX_COUNT.", ("Too many", InvalidCount, "At most 10,000 records.")),
            **NOT_FOUND,
        },
        tags=["records"],
    )
    def get(self, request: Request, key: str) -> Response:
        if key.isascii() and key.isdigit():
            # Past 18 digits it is over any maximum; int() of 5,000 digits would raise (a 500).
            count = int(key) if len(key) <= 18 else 10**18
            return Response([record.as_json() for record in services.oldest_records(count=count)])
        return Response(services.get_record(key=_record_key(key)).as_json())

    @extend_schema(
        operation_id="records_delete",
        summary="Delete a record; answers it",
        parameters=[DELETE_KEY],
        responses={**UNAUTHORIZED, 200: RecordSerializer, **NOT_FOUND},
        tags=["records"],
    )
    def delete(self, request: Request, key: str) -> Response:
        return Response(services.delete_record(key=_record_key(key)).as_json())


def _record_key(key: str) -> uuid.UUID:
    try:
        return uuid.UUID(key)
    except ValueError:
        raise NotARecordPath(key) from None


def _json_array(records: Iterator[Record]) -> Iterator[bytes]:
    """`[{...},{...}]` a chunk of records at a time: a million records never sit in memory."""
    yield b"["
    chunk: list[str] = []
    first = True
    for record in records:
        chunk.append(json.dumps(record.as_json(), separators=(",", ":")))
        if len(chunk) == 1000:
            yield (b"" if first else b",") + ",".join(chunk).encode()
            first, chunk = False, []
    if chunk:
        yield (b"" if first else b",") + ",".join(chunk).encode()
    yield b"]"
