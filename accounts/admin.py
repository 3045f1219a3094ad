"""The admin: users with their quota and keys; keys are issued here (shown once) and revoked."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import keys
from accounts.models import ApiKey, Quota
from core.limits import Limit, declared


class QuotaForm(forms.ModelForm):
    """The quota's own fields, plus one per limit the kinds declare (stored in `kind_limits`)."""

    class Meta:
        model = Quota
        fields = ["max_in_progress", "submissions_per_window"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = self.instance.kind_limits or {}
        for scope, limit in _declared_limits():
            field_class = forms.IntegerField if limit.integer else forms.FloatField
            self.fields[_field_name(scope, limit)] = field_class(
                required=False,
                min_value=limit.minimum,
                label=f"{scope}: {limit.name}",
                help_text=f"{limit.help} At most {limit.maximum_setting} ({limit.maximum():g}).",
                initial=own.get(scope, {}).get(limit.name),
            )

    def save(self, commit: bool = True) -> Quota:
        limits: dict[str, dict[str, float]] = {}
        for scope, limit in _declared_limits():
            value = self.cleaned_data.get(_field_name(scope, limit))
            if value is not None:
                limits.setdefault(scope, {})[limit.name] = value
        self.instance.kind_limits = limits
        return super().save(commit)


def _declared_limits() -> list[tuple[str, Limit]]:
    return [(scope, limit) for scope, limits in declared().items() for limit in limits]


def _field_name(scope: str, limit: Limit) -> str:
    return f"{scope}__{limit.name}"


class QuotaInline(admin.StackedInline):
    model = Quota
    form = QuotaForm
    can_delete = True
    verbose_name = verbose_name_plural = "Quota (blank fields: the defaults from the settings)"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # The model's own fields; the form adds the declared limits itself.
        return super().get_formset(request, obj, fields=QuotaForm.Meta.fields, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[tuple[str | None, dict[str, Any]]]:
        limits = [_field_name(scope, limit) for scope, limit in _declared_limits()]
        return [(None, {"fields": ["max_in_progress", "submissions_per_window", *limits]})]


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ("name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are issued from the API keys page, which shows the new key once


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserWithQuotaAdmin(UserAdmin):
    inlines = [QuotaInline, ApiKeyInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "created_at", "expires_at", "revoked_at", "last_used_at", "is_active")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return ["user", "name", "expires_at"]
        return ["user", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        return self.readonly_fields + (("user",) if obj is not None else ())

    @admin.display(boolean=True, description="active")
    def is_active(self, obj: ApiKey) -> bool:
        return obj.active

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued, key = keys.issue(obj.user, name=obj.name, expires_at=obj.expires_at)
        obj.pk = issued.pk
        messages.warning(request, f"The new key (copy it now, it is not shown again): {key}")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = sum(keys.revoke(api_key) for api_key in queryset)
        self.message_user(request, f"Revoked {revoked} key(s).")
