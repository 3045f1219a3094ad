"""How the creating endpoints document `Idempotency-Key`: the header, the replay, the refusals."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from httpapi.openapi import problem
from idempotency.errors import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidIdempotencyKey

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any 1 to 255 printable ASCII characters, new for each new request (a UUID will do). A "
    "retry with the same key and body within IDEMPOTENCY_TTL_SECONDS (24 h) makes nothing new: it is "
    "answered `200` with `Idempotent-Replayed: true` and the first request's outcome. The same key with "
    "another body is `422`; a retry while the first is still being handled, `409`.",
)
IDEMPOTENT_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="`true` on the answer to a retry with a known Idempotency-Key.",
)
BAD_KEY = ("Bad Idempotency-Key", InvalidIdempotencyKey, str(InvalidIdempotencyKey()))
KEY_IN_USE = ("Idempotency-Key in use", IdempotencyKeyInUse, str(IdempotencyKeyInUse()))
KEY_REUSED = problem(
    "The Idempotency-Key was used for a request with another body; nothing was made.",
    ("Another body", IdempotencyKeyReused, str(IdempotencyKeyReused())),
)
