"""Access: `GET /me` (who is calling, with quotas and use), and register / log in / log out."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as access
from accounts import webhooks
from accounts.authentication import ApiKeyAuthentication
from accounts.callers import caller_for, client_address
from accounts.errors import InvalidCredentials, NotALoginToken, RegistrationClosed, UsernameTaken
from accounts.permissions import CallerAllowed, KeyRequired
from accounts.schema import UNAUTHORIZED
from accounts.serializers import (
    CredentialsSerializer,
    MeSerializer,
    RegistrationSerializer,
    TokenSerializer,
    UserSerializer,
)
from accounts.throttles import submissions_used
from core import limits
from core.errors import InvalidRequest
from core.quotas import QuotaExceeded
from httpapi.openapi import problem
from httpapi.parsers import BoundedJSONParser

EXAMPLE = {
    "anonymous": False,
    "username": "alice",
    "key": {"name": "laptop", "prefix": "3f9a1c2b7d4e", "expires_at": None},
    "address": None,
    "webhook_secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
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
                "webhook_secret": None if caller.anonymous else webhooks.secret_of(request.user.pk),
                "quotas": {
                    "in_progress": {
                        "limit": caller.max_in_progress,
                        "used": limits.used("in_progress", caller.owner),
                    },
                    "storage": {
                        "limit": caller.max_stored_bytes,
                        "used": limits.used("storage", caller.owner),
                    },
                    "submissions": {
                        "limit": caller.submissions_per_window,
                        "used": min(submitted, caller.submissions_per_window),
                        "window_seconds": settings.QUOTA_WINDOW_SECONDS,
                        "resets_in": resets_in,
                    },
                    **{kind: dict(limits) for kind, limits in caller.ceilings.items()},
                },
            }
        )


CREDENTIALS = {"username": "user_3f0c8a5e8f0e4ad89f580d5c8e3ea0c1", "password": "password228"}
INVALID = problem(
    "Missing or invalid fields; `errors` names each.",
    ("Bad fields", InvalidRequest, "password: At least 8 characters."),
)
LOGIN_THROTTLED = problem(
    "Too many attempts from this address (or failures for this username); `Retry-After` says when to try again.",
    (
        "Throttled",
        QuotaExceeded,
        "Too many login attempts from your address: at most 20 per 60 s. ...",
        {"quota": "login_attempts", "limit": 20, "used": 21},
    ),
)


class RegisterView(APIView):
    """`POST /register`: a new user, who then logs in for a token."""

    authentication_classes: list = []
    permission_classes: list = []
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="register",
        summary="Create a user (username + password)",
        request=RegistrationSerializer,
        examples=[OpenApiExample("A course-style user", value=CREDENTIALS, request_only=True)],
        responses={
            201: OpenApiResponse(
                UserSerializer,
                examples=[
                    OpenApiExample(
                        "Created",
                        value={"id": 7, "username": CREDENTIALS["username"], "date_joined": "2026-12-01T08:00:00Z"},
                    )
                ],
            ),
            **INVALID,
            **problem(
                "Registration is switched off (ALLOW_REGISTRATION).",
                ("Closed", RegistrationClosed, RegistrationClosed.default_detail),
            ),
            **problem("The username is taken.", ("Taken", UsernameTaken, UsernameTaken.default_detail)),
            **problem(
                "Too many registrations from this address.",
                ("Throttled", QuotaExceeded, "Too many registrations from your address: at most 10 per 60 s."),
            ),
        },
        tags=["access"],
    )
    def post(self, request: Request) -> Response:
        credentials = RegistrationSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = access.register(**credentials.validated_data, address=client_address(request))
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginView(APIView):
    """`POST /login`: a bearer token (an API key named `login`) for the username and password."""

    authentication_classes = [ApiKeyAuthentication]  # for WWW-Authenticate on 401; the body decides
    permission_classes: list = []
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="login",
        summary="Log in: a bearer token for Authorization",
        request=CredentialsSerializer,
        examples=[OpenApiExample("The user registered above", value=CREDENTIALS, request_only=True)],
        responses={
            200: OpenApiResponse(
                TokenSerializer,
                examples=[
                    OpenApiExample(
                        "A token", value={"token": "tsk_3f9a1c2b7d4e_Qm9vb...", "expires_at": "2026-12-02T08:00:00Z"}
                    )
                ],
            ),
            **INVALID,
            **problem(
                "Wrong username or password (the same answer for both).",
                ("Wrong", InvalidCredentials, InvalidCredentials.default_detail),
            ),
            **LOGIN_THROTTLED,
        },
        tags=["access"],
    )
    def post(self, request: Request) -> Response:
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        token, expires_at = access.log_in(**credentials.validated_data, address=client_address(request))
        return Response(TokenSerializer({"token": token, "expires_at": expires_at}).data)


class LogoutView(APIView):
    """`POST /logout`: revoke the `POST /login` token this request carries (never an API key)."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [KeyRequired]

    @extend_schema(
        operation_id="logout",
        summary="Log out: revoke this POST /login token",
        description="Ends the session of a token from `POST /login`. An API key is never revoked here (409): "
        "operators revoke keys in the admin.",
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked; the token answers 401 from now on."),
            **UNAUTHORIZED,
            **problem(
                "The request carries an API key, not a login token.",
                ("An API key", NotALoginToken, NotALoginToken.default_detail),
            ),
        },
        tags=["access"],
    )
    def post(self, request: Request) -> Response:
        access.log_out(api_key=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
