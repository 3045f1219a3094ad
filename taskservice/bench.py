"""The benchmark's yardstick, mounted only when BENCH_ENDPOINTS is on."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


@extend_schema(exclude=True)
class BaselineView(APIView):
    """A constant small JSON through the same middleware and DRF stack as the real endpoints."""

    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})
