"""The project's import graph, read from the source (imports inside functions count: that is
where a cycle hides from `python -c "import ..."`): no module may import itself through others."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "core", "httpapi", "idempotency", "records", "sandbox", "tasks", "taskservice", "web")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, anywhere in it (`from a import b` is `a.b` if that is a
    module, else `a`); a package's own parents, imported implicitly by Python, do not count."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in modules else node.module)
    return {name for name in found if name in modules}


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports(path, modules) - {name} for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            groups.append(sorted([node, *group]))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [group for group in groups if len(group) > 1]


def test_the_import_graph_has_no_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_web_tier_sends_jobs_by_name_without_importing_them():
    edges = graph()
    assert "tasks.jobs" not in edges["tasks.dispatchers.celery"]
    assert "tasks.jobs" not in edges["tasks.providers"]


def kind_internals(edges: dict[str, set[str]]) -> set[str]:
    """What only a kind itself may import: the kinds' modules and the engines behind them."""
    return {
        name
        for name in edges
        if name.startswith(("tasks.coderunner", "tasks.imaging"))
        or (name.startswith("tasks.kinds.") and name != "tasks.kinds.base")
    }


def test_views_reach_the_kinds_only_through_the_registry_and_services():
    edges = graph()
    assert edges["tasks.views"] & kind_internals(edges) == set()
    assert edges["tasks.urls"] & kind_internals(edges) == set()
    assert edges["tasks.serializers"] & kind_internals(edges) == set()  # a kind's form shape is its own
    assert edges["tasks.schema"] & kind_internals(edges) == set()


def test_the_project_package_names_no_apps_errors_or_kinds():
    """taskservice/ holds settings, URLs, the servers' configuration and Celery: errors bring their
    own HTTP meaning (core.errors), so nothing there needs to know an app's errors."""
    edges = graph()
    forbidden = kind_internals(edges) | {"tasks.errors", "records.errors", "accounts.errors"}
    for name, imported in edges.items():
        if name.split(".")[0] == "taskservice":
            assert imported & forbidden == set(), name


def test_the_image_holds_every_package_the_service_imports():
    """The Dockerfile copies packages one by one: a new one missing there breaks only the image."""
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")}
    assert set(PACKAGES) <= copied
    on_disk = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert on_disk == set(PACKAGES)


@pytest.mark.parametrize("package", ["core", "sandbox"])
def test_the_bottom_layers_import_no_other_package_of_the_project(package):
    """core/ is what every app shares and sandbox/ is a library: neither may lean on an app."""
    edges = graph()
    climbing = {
        (name, target)
        for name, targets in edges.items()
        if name.split(".")[0] == package
        for target in targets
        if target.split(".")[0] != package
    }
    assert climbing == set()
