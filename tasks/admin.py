"""Staff see every caller's tasks here; the API itself stays per-owner.

Read through the service layer, not the table, so it shows whichever store is configured
(the in-memory one included).
"""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from core.identity import ANONYMOUS_OWNER_PREFIX, USER_OWNER_PREFIX, user_owner
from tasks import services
from tasks.domain import PublicStatus
from tasks.errors import InvalidCursor
from tasks.models import TaskRecord
from tasks.presenters import present_task

PAGE = 50


@admin.register(TaskRecord)
class TaskAdmin(admin.ModelAdmin):
    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        status = request.GET.get("status")
        query = {"owner": request.GET.get("owner") or None, "limit": PAGE}
        query["status"] = PublicStatus(status) if status in set(PublicStatus) else None
        try:
            page = services.list_tasks(**query, cursor=request.GET.get("cursor") or None)
        except InvalidCursor:
            page = services.list_tasks(**query)
        names = _usernames(task.owner for task in page.tasks)
        rows = [{**present_task(task), "owner": task.owner, "owner_name": names.get(task.owner)} for task in page.tasks]
        context = {
            **self.admin_site.each_context(request),
            "title": "Tasks",
            "opts": self.model._meta,
            "rows": rows,
            "statuses": [s.value for s in PublicStatus],
            "status": status,
            "owner": request.GET.get("owner", ""),
            "next_cursor": page.next_cursor,
        }
        return TemplateResponse(request, "admin/tasks/task_list.html", context)


def _usernames(owners: Iterable[str | None]) -> dict[str, str]:
    """`user:<id>` owners -> their usernames; anonymous ones are shown as their address."""
    owners = list(owners)
    ids = {owner.removeprefix(USER_OWNER_PREFIX) for owner in owners if owner and owner.startswith(USER_OWNER_PREFIX)}
    users = get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")
    names = {user_owner(pk): username for pk, username in users}
    for owner in owners:
        if owner and owner.startswith(ANONYMOUS_OWNER_PREFIX):
            names[owner] = f"anonymous ({owner.removeprefix(ANONYMOUS_OWNER_PREFIX)})"
    return names
