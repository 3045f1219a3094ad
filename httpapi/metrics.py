"""HTTP metrics for GET /metrics: requests by route, method and status, and their duration.

Routes are URL patterns (`status/<str:task_id>`), never raw paths, so the label set stays small
whatever strangers request. prometheus-client runs in multiprocess mode (settings.METRICS_DIR).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.registry import Collector

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
REQUESTS = Counter("taskservice_http_requests_total", "HTTP requests answered.", ["route", "method", "status"])
DURATION = Histogram(
    "taskservice_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (waits for a task included).",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUOTA_REFUSALS = Counter("taskservice_quota_refusals_total", "Requests refused by a caller's quota.", ["quota"])


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = match.route if match is not None else "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        DURATION.labels(route).observe(time.perf_counter() - started)
        return response


def exposition(collectors: Iterable[Collector] = ()) -> bytes:
    """Every process's metrics summed (multiprocess files), plus `collectors` read now."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


def count_refusal(extra: dict[str, Any]) -> None:
    """A 429 naming the quota it spent (`quota` in the problem) counts as that quota's refusal."""
    quota = extra.get("quota")
    if isinstance(quota, str):
        QUOTA_REFUSALS.labels(quota).inc()
