"""Refusals that must happen before Django reads a request body."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from httpapi.problems import Problem, problem_response
from httpapi.refusals import CHUNKED_REFUSED


class LengthRequiredMiddleware:
    """A chunked body without Content-Length reaches Django as an empty one: a code task once ran
    as the demo `sleep` task that way. Refuse it with 411 rather than act on a body never read."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not request.META.get("CONTENT_LENGTH"):
            return problem_response(Problem(411, "length-required", CHUNKED_REFUSED))
        return self.get_response(request)
