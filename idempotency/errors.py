"""What a bad or clashing `Idempotency-Key` is answered with."""

from __future__ import annotations

from core.errors import ServiceError


class InvalidIdempotencyKey(ServiceError):
    slug = "invalid-idempotency-key"
    title = "Invalid Idempotency-Key"

    def __init__(self) -> None:
        super().__init__("An Idempotency-Key is 1 to 255 printable ASCII characters (a UUID will do).")


class IdempotencyKeyReused(ServiceError):
    """The key was used (within IDEMPOTENCY_TTL_SECONDS) for a request with another body."""

    status = 422
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused"

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was used for a different request; use a new key for a new request.")


class IdempotencyKeyInUse(ServiceError):
    """The first request with this key has not finished yet: retry, and get its outcome."""

    status = 409
    slug = "idempotency-key-in-use"
    title = "Idempotency-Key in use"

    def __init__(self) -> None:
        super().__init__("A request with this Idempotency-Key is still being handled; retry in a second.")

    def problem_headers(self) -> dict[str, str]:
        return {"Retry-After": "1"}
