from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", include("tasks.api.urls")),
    path("", include("accounts.urls")),
    path("", include("judge0api.urls")),
    path("admin/", admin.site.urls),
    path("", include("web.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("records.urls")),  # last: its `<key>` route takes any remaining single segment
]

if settings.BENCH_ENDPOINTS:
    from taskservice.bench import BaselineView

    urlpatterns.append(path("bench/baseline", BaselineView.as_view(), name="bench-baseline"))

handler400 = "httpapi.problems.bad_request"
handler403 = "httpapi.problems.permission_denied"
handler404 = "httpapi.problems.not_found"
handler500 = "httpapi.problems.server_error"
