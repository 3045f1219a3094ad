"""The project's import graph, read from the source (imports inside functions count: that is
where a cycle hides from `python -c "import ..."`): packages import only the layers below their
own, and no module may import itself through others."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Bottom to top: a package imports its own modules and those of the layers below, never its own
# layer's other packages nor anything above (docs/architecture.md draws it). The tasks app finds
# kinds and executors through settings (TASK_KINDS, TASK_EXECUTORS), by path, not by import.
LAYERS = (
    ("core", "sandbox"),
    ("httpapi",),
    ("accounts", "idempotency"),
    ("records",),
    ("tasks",),
    ("kinds", "executors", "stores"),
    ("web", "judge0api"),
    ("taskservice",),
)
PACKAGES = tuple(sorted(package for layer in LAYERS for package in layer))
LEVEL = {package: level for level, layer in enumerate(LAYERS) for package in layer}


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


def climbing(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Imports of another package on the same layer or a higher one."""
    return {
        (name, target)
        for name, targets in edges.items()
        for target in targets
        if (here := name.split(".")[0]) != (there := target.split(".")[0]) and LEVEL[there] >= LEVEL[here]
    }


def test_no_import_climbs_back_up_the_layers():
    assert climbing(graph()) == set()


def test_the_layer_check_finds_a_climbing_import():
    edges = {"core.identity": {"tasks.domain"}, "kinds.code": {"executors.threads"}, "tasks.domain": {"core.x"}}
    assert climbing(edges) == {("core.identity", "tasks.domain"), ("kinds.code", "executors.threads")}


def test_the_web_tier_sends_jobs_by_name_without_importing_them():
    edges = graph()
    assert "executors.celery.jobs" not in edges["executors.celery.executor"]
    assert "executors.celery.jobs" not in edges["tasks.providers"]


def test_the_api_reaches_the_kinds_only_through_the_registry():
    """Views, serializers and the schema know a kind by what it declares, never by its module."""
    edges = graph()
    for name in ("tasks.api.views", "tasks.api.urls", "tasks.api.serializers", "tasks.api.schema"):
        assert {target for target in edges[name] if target.startswith("kinds.")} == set(), name


def test_the_image_holds_every_package_the_service_imports():
    """The Dockerfile copies packages one by one: a new one missing there breaks only the image."""
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")}
    assert set(PACKAGES) <= copied
    on_disk = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert on_disk == set(PACKAGES)


def test_kinds_do_no_schema_work():
    """A kind describes its fields as plain JSON Schema (`Documented`, `OneOf`); tasks/api/schema.py
    turns that into OpenAPI, so no kind imports the schema generator."""
    for path in (ROOT / "kinds").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not [name for name in names if name.startswith(("drf_spectacular", "httpapi.openapi"))], path


def test_the_command_line_client_uses_the_public_api_only():
    """tsk (client/) is a program of the service's users: it imports none of the service's code,
    only the standard library, its own modules and its declared dependencies."""
    allowed = {"tsk", "httpx", "rich", *sys.stdlib_module_names}
    for path in (ROOT / "client" / "tsk").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            assert {name.split(".")[0] for name in names} <= allowed, (path.name, names)
