"""`GET /me`: who the service thinks is calling, their quotas and what they use of them."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiKeyAuthentication
from accounts.callers import caller_for, client_address
from accounts.permissions import CallerAllowed
from accounts.schema import UNAUTHORIZED
from accounts.serializers import MeSerializer
from accounts.throttles import submissions_used
from tasks import services

EXAMPLE = {
    "anonymous": False,
    "username": "alice",
    "key": {"name": "laptop", "prefix": "3f9a1c2b7d4e", "expires_at": None},
    "address": None,
    "quotas": {
        "in_progress": {"limit": 4, "used": 1},
        "storage": {"limit": 268435456, "used": 1048576},
        "submissions": {"limit": 60, "used": 3, "window_seconds": 60, "resets_in": 42},
        "code": {"max_time_s": 10.0, "max_memory_mb": 1024},
        "image": {"max_pixels": 40000000, "max_steps": 20, "max_time_s": 30.0, "max_memory_mb": 1024},
    },
}


class MeView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [CallerAllowed]

    @extend_schema(
        operation_id="me",
        summary="The caller, their quotas and current use",
        responses={200: OpenApiResponse(MeSerializer, examples=[OpenApiExample("A user", EXAMPLE)]), **UNAUTHORIZED},
        tags=["access"],
    )
    def get(self, request: Request) -> Response:
        caller = caller_for(request)
        submitted, resets_in = submissions_used(caller.owner)
        api_key = request.auth
        return Response(
            {
                "anonymous": caller.anonymous,
                "username": None if caller.anonymous else request.user.get_username(),
                "key": None
                if api_key is None
                else {"name": api_key.name, "prefix": api_key.prefix, "expires_at": api_key.expires_at},
                "address": client_address(request) if caller.anonymous else None,
                "quotas": {
                    "in_progress": {
                        "limit": caller.max_in_progress,
                        "used": services.count_in_progress(owner=caller.owner),
                    },
                    "storage": {
                        "limit": caller.max_stored_bytes,
                        "used": services.stored_bytes(owner=caller.owner),
                    },
                    "submissions": {
                        "limit": caller.submissions_per_window,
                        "used": min(submitted, caller.submissions_per_window),
                        "window_seconds": settings.QUOTA_WINDOW_SECONDS,
                        "resets_in": resets_in,
                    },
                    "code": {
                        "max_time_s": caller.ceilings.code_time_s,
                        "max_memory_mb": caller.ceilings.code_memory_mb,
                    },
                    "image": {
                        "max_pixels": caller.ceilings.image_pixels,
                        "max_steps": caller.ceilings.image_steps,
                        "max_time_s": caller.ceilings.image_time_s,
                        "max_memory_mb": caller.ceilings.image_memory_mb,
                    },
                },
            }
        )
