"""docker-compose.yml cannot run here (no Docker engine), so check it against the real CLIs:
every app service's command must be accepted by the program it names, with this project."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
BIN = Path(sys.executable).parent


def test_services_are_the_documented_deployment():
    assert set(SERVICES) == {"api", "worker", "beat", "migrate", "postgres", "redis", "client"}
    for name in ("api", "postgres", "redis", "worker"):
        assert "healthcheck" in SERVICES[name], name
    assert SERVICES["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_services_that_check_or_run_the_sandbox_get_what_it_needs():
    """Docker masks parts of a container's /proc, so bubblewrap cannot mount one of its own, and
    code tasks were refused with 503 (tried with podman: .ci/smoke_privileged); as root with
    cgroups, every language is offered."""
    for name in ("api", "worker"):
        assert SERVICES[name]["privileged"] is True and SERVICES[name]["user"] == "root", name
        assert SERVICES[name]["command"] and SERVICES[name]["image"] == "taskservice", name
    assert "privileged" not in SERVICES["beat"] and "privileged" not in SERVICES["migrate"]


def app_env(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment", {})
    # Same settings, but pointing at this machine's services (the compose names do not resolve here).
    return {
        **os.environ,
        **{k: str(v) for k, v in env.items()},
        "DATABASE_URL": "sqlite:///:memory:",
        "CELERY_BROKER_URL": "memory://",
    }


@pytest.mark.parametrize("service", ["api", "worker", "beat", "migrate", "client"])
def test_commands_are_accepted_by_their_programs(service):
    command = SERVICES[service]["command"]
    program = shutil.which(command[0], path=str(BIN)) or shutil.which(command[0])
    assert program, f"{service}: {command[0]} is not installed"
    flag = "--check-config" if command[0] == "gunicorn" else "--help"
    check = [program, *command[1:], flag]
    result = subprocess.run(check, cwd=ROOT, env=app_env(service), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{service}: {' '.join(command)}\n{result.stdout[-2000:]}{result.stderr[-2000:]}"


def test_every_setting_it_sets_is_documented_with_the_others():
    readme = (ROOT / "docs" / "operations.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    used = {name for service in ("api", "worker", "beat", "migrate") for name in SERVICES[service]["environment"]}
    assert used <= documented, used - documented


def test_makefile_targets_run_the_same_programs():
    makefile = (ROOT / "Makefile").read_text()
    assert "celery -A taskservice worker" in makefile and "celery -A taskservice beat" in makefile
    assert "gunicorn -c taskservice/gunicorn.conf.py" in makefile
