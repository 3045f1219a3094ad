"""Access errors. Each carries its HTTP meaning as DRF's APIException does (status, code), so the
one problem handler turns it into problem+json without knowing it."""

from rest_framework import exceptions


class RegistrationClosed(exceptions.PermissionDenied):
    default_detail = "Registration is switched off here (ALLOW_REGISTRATION); ask an operator for an API key."
    default_code = "registration_closed"


class UsernameTaken(exceptions.APIException):
    status_code = 409
    default_detail = "That username is taken."
    default_code = "username_taken"


class InvalidCredentials(exceptions.AuthenticationFailed):
    """The same answer for an unknown user and a wrong password: no way to tell which exist."""

    default_detail = "Wrong username or password."
    default_code = "invalid_credentials"


class NotALoginToken(exceptions.APIException):
    """POST /logout with a long-lived API key: logging out ends a session, it does not revoke keys
    (a client that logged out with its key lost it for good)."""

    status_code = 409
    default_detail = (
        "This is an API key, not a token from POST /login: logging out does not revoke keys. "
        "An operator revokes keys in the admin."
    )
    default_code = "not_a_login_token"
