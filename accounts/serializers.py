"""Shapes of the access endpoints: credentials in (validated), responses out (documented)."""

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from rest_framework import serializers

from core import limits
from httpapi.serializers import StrictCharField, StrictSerializer


class KeyInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's public part: `tsk_<prefix>_…`.")
    expires_at = serializers.DateTimeField(allow_null=True)


class UsageSerializer(serializers.Serializer):
    limit = serializers.IntegerField()
    used = serializers.IntegerField()


class WindowUsageSerializer(UsageSerializer):
    window_seconds = serializers.IntegerField()
    resets_in = serializers.IntegerField(help_text="Seconds until the window's count starts again.")


def _ceilings_serializer(scope: str, declared: tuple[limits.Limit, ...]) -> type[serializers.Serializer]:
    """What `GET /me` shows of one kind's limits, from the kind's own declarations."""
    fields = {
        limit.name: (serializers.IntegerField if limit.integer else serializers.FloatField)(help_text=limit.help)
        for limit in declared
    }
    return type(f"{scope.title().replace('_', '')}CeilingsSerializer", (serializers.Serializer,), fields)


class _UsageQuotasSerializer(serializers.Serializer):
    in_progress = UsageSerializer(help_text="Tasks queued or running at once.")
    storage = UsageSerializer(
        help_text="Bytes your tasks hold in the store (params, inputs, results); freed by delete or expiry."
    )
    submissions = WindowUsageSerializer(help_text="Submissions (`POST /task`) per window.")


# One more member per kind with limits, from the kind's declarations: adding a kind changes
# nothing here.
QuotasSerializer = type(
    "QuotasSerializer",
    (_UsageQuotasSerializer,),
    {
        scope: _ceilings_serializer(scope, declared)(help_text=f"The most one {scope} task may ask for.")
        for scope, declared in limits.declared().items()
    },
)


class MeSerializer(serializers.Serializer):
    anonymous = serializers.BooleanField()
    username = serializers.CharField(allow_null=True)
    key = KeyInfoSerializer(allow_null=True, help_text="The key this call used; null when anonymous.")
    address = serializers.CharField(
        allow_null=True, help_text="Anonymous callers share quotas per address; null for users."
    )
    webhook_secret = serializers.CharField(
        allow_null=True,
        help_text="What your webhooks (`callback_url`) are signed with, Standard Webhooks style: verify "
        "`webhook-signature` as HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` under the base64 "
        "after `whsec_`. Null when anonymous (callbacks need a key).",
    )
    quotas = QuotasSerializer()


class CredentialsSerializer(StrictSerializer):
    """What `POST /register` and `POST /login` take (as JSON)."""

    username = StrictCharField(
        max_length=150, validators=[UnicodeUsernameValidator()], help_text="Letters, digits and @.+-_ (150 at most)."
    )
    password = StrictCharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class RegistrationSerializer(CredentialsSerializer):
    def get_fields(self) -> dict:
        # A sane minimum, not every Django validator (the course client's `password228` must
        # pass), stated on the field so the schema says it too (minLength).
        fields = super().get_fields()
        minimum = settings.PASSWORD_MIN_LENGTH
        fields["password"] = StrictCharField(
            min_length=minimum,
            max_length=128,
            trim_whitespace=False,
            style={"input_type": "password"},
            error_messages={"min_length": f"At least {minimum} characters."},
        )
        return fields

    def validate(self, attrs: dict) -> dict:
        if attrs["password"].lower() == attrs["username"].lower():
            raise serializers.ValidationError({"password": ["Must not be the username."]})
        return attrs


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    date_joined = serializers.DateTimeField()


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Bearer <token>`, like an API key.")
    expires_at = serializers.DateTimeField(help_text="LOGIN_TOKEN_TTL after the login; POST /logout ends it sooner.")
