"""The seed's exact paths, mapped onto TaskViewSet actions."""

from django.urls import path

from tasks import services
from tasks.api.views import HealthView, KindListView, MetricsView, ReadinessView, TaskViewSet, catalog_view

urlpatterns = [
    path("task", TaskViewSet.as_view({"post": "create"}), name="task-submit"),
    path("task/<str:task_id>", TaskViewSet.as_view({"delete": "destroy"}), name="task-detail"),
    path("task/<str:task_id>/cancel", TaskViewSet.as_view({"post": "cancel"}), name="task-cancel"),
    path("status/<str:task_id>", TaskViewSet.as_view({"get": "status"}), name="task-status"),
    path("result/<str:task_id>", TaskViewSet.as_view({"get": "result"}), name="task-result"),
    path("tasks", TaskViewSet.as_view({"get": "index"}), name="task-list"),
    path("tasks/batch", TaskViewSet.as_view({"post": "batch"}), name="task-batch"),
    path("kinds", KindListView.as_view(), name="kind-list"),
    *(path(catalog.path, catalog_view(catalog), name=f"{catalog.path}-list") for catalog in services.catalogs()),
    path("healthz", HealthView.as_view(), name="healthz"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("metrics", MetricsView.as_view(), name="metrics"),
]
