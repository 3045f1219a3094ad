"""The sample Grafana dashboard (docs/) asks only for metrics the service exports."""

import json
import re
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def test_every_metric_the_dashboard_queries_is_exported(client, db, settings):
    settings.METRICS_TOKEN = "t"
    scraped = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    read_at_scrape = {family.name for family in text_string_to_metric_families(scraped)}
    defined = set(REGISTRY._names_to_collectors)  # every series name of every metric the code defines
    panels = json.loads(DASHBOARD.read_text())["panels"]
    queried = {
        name
        for panel in panels
        for target in panel["targets"]
        for name in re.findall(r"taskservice_\w+", target["expr"])
    }
    assert len(queried) >= 10 and queried <= defined | read_at_scrape, queried - defined - read_at_scrape
