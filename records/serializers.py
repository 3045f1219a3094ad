"""Documented shapes of the records API (the views build plain dicts; these feed the schema)."""

from rest_framework import serializers


class RecordInSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(required=False, help_text="Kept if given; generated if missing.")
    text = serializers.CharField(max_length=10_000, allow_blank=True, help_text="At most RECORDS_MAX_TEXT characters.")


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
