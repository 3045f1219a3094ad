"""Documented shapes of the records API (the views build plain dicts; these feed the schema)."""

from django.conf import settings
from rest_framework import serializers


class RecordSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    text = serializers.CharField(allow_blank=True)


RECORD_SCHEMA = {
    "type": "object",
    "properties": {"uuid": {"type": "string", "format": "uuid"}, "text": {"type": "string"}},
    "required": ["uuid", "text"],
}
# GET /{key}: one record for a uuid, a list for a count (one path: OpenAPI cannot tell them apart).
RECORD_OR_RECORDS_SCHEMA = {"oneOf": [RECORD_SCHEMA, {"type": "array", "items": RECORD_SCHEMA}]}
RECORD_IN_SCHEMA = {
    "type": "object",
    "properties": {
        "uuid": {"type": "string", "format": "uuid"},
        "text": {"type": "string", "maxLength": settings.RECORDS_MAX_TEXT},
    },
    "required": ["text"],
    "additionalProperties": False,
}
# POST /new: one record (the seed author's client) or a non-empty list of them.
NEW_RECORDS_SCHEMA = {"oneOf": [RECORD_IN_SCHEMA, {"type": "array", "items": RECORD_IN_SCHEMA, "minItems": 1}]}
