"""The project's import graph, read with ``ast``: no circle anywhere, and every import goes the allowed way.

The rooms (README, "Layout"): ``components/`` (Pulumi components, a subpackage per domain; ``components/providers``
is stored state and imports nothing of the other components), ``flink_rest/`` (imports nothing of ``components/``
or pulumi), ``planning/`` (the offline plan), ``testbed/`` (real local components for tests), ``policies/`` (the
pack: only Pulumi-free fact modules of ``components/``), ``tools/`` (entry points, imported by nobody). Every
import counts, also one inside a function: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

PROJECT_PACKAGES = ("components", "flink_rest", "planning", "testbed", "tools", "policies", "bench")
SKIP_DIRS = {".venv", "tests", "build", "__pycache__", "recipes"}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    where: str  # file:line

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.where})"


def modules_of(root: Path) -> dict[str, Path]:
    found = {}
    for package in PROJECT_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if SKIP_DIRS & set(path.relative_to(root).parts[:-1]):
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    if (root / "__main__.py").exists():
        found["__main__"] = root / "__main__.py"
    return found


def import_edges(root: Path) -> list[Edge]:
    """Every import of one project module by another (``from pkg import mod`` counts as ``pkg.mod``)."""
    modules = modules_of(root)
    edges = []
    for source, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                           for a in node.names]
            for target in targets:
                if target.split(".")[0] in PROJECT_PACKAGES and target != source:
                    edges.append(Edge(source, target, f"{path.relative_to(root)}:{node.lineno}"))
    return edges


def circles(edges: list[Edge]) -> list[list[Edge]]:
    """One circle (as its edges) per strongly connected group of modules (Tarjan)."""
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.source, []).append(edge)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph.get(node, []):
            if edge.target not in index:
                visit(edge.target)
                low[node] = min(low[node], low[edge.target])
            elif edge.target in on_stack:
                low[node] = min(low[node], index[edge.target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    found = []
    for group in groups:  # walk one circle inside the group, from its smallest member
        start = min(group)
        path, node, seen = [], start, set()
        while node not in seen:
            seen.add(node)
            edge = min((e for e in graph[node] if e.target in group), key=lambda e: e.target)
            path.append(edge)
            node = edge.target
        found.append(path[[e.source for e in path].index(node):])
    return found


def _room(module: str) -> str:
    if module.startswith("components.providers"):
        return "components.providers"
    return module.split(".")[0]


#: (importing room, imported room prefix, why it is refused)
FORBIDDEN = [
    ("components", "planning", "components/ never imports the offline plan"),
    ("components", "testbed", "components/ never imports the test bed"),
    ("components", "tools", "tools/ holds entry points only"),
    ("components.providers", "components", "a provider's imports are part of every user's stored state: it may "
                                           "import only components.providers and flink_rest"),
    ("flink_rest", "components", "flink_rest/ is a library of its own"),
    ("flink_rest", "planning", "flink_rest/ is a library of its own"),
    ("flink_rest", "testbed", "flink_rest/ is a library of its own"),
    ("planning", "testbed", "the offline plan needs no local cluster"),
    ("planning", "tools", "tools/ holds entry points only"),
    ("testbed", "tools", "tools/ holds entry points only"),
    ("policies", "planning", "the pack runs in its own process with the pack's requirements only"),
    ("policies", "testbed", "the pack runs in its own process with the pack's requirements only"),
    ("policies", "tools", "tools/ holds entry points only"),
    ("bench", "tools", "tools/ holds entry points only"),
]


def forbidden(edges: list[Edge]) -> list[str]:
    out = []
    for edge in edges:
        source_room, target_room = _room(edge.source), _room(edge.target)
        for importer, imported, why in FORBIDDEN:
            if source_room != importer:
                continue
            if importer == "components.providers" and (target_room == "components.providers"):
                continue
            if target_room == imported or target_room.startswith(imported + "."):
                out.append(f"{edge}: {why}")
    return out


def pulumi_in_flink_rest(root: Path) -> list[str]:
    out = []
    for name, path in modules_of(root).items():
        if not name.startswith("flink_rest"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            out += [f"{name} imports {n} ({path.relative_to(root)}:{node.lineno})" for n in names
                    if n.split(".")[0] in ("pulumi", "pulumi_kubernetes", "pulumi_policy")]
    return out


def test_the_project_has_no_import_circle():
    found = circles(import_edges(ROOT))
    assert not found, "import circles:\n" + "\n".join("  " + " | ".join(map(str, c)) for c in found)


def test_every_import_goes_the_allowed_way():
    wrong = forbidden(import_edges(ROOT)) + pulumi_in_flink_rest(ROOT)
    assert not wrong, "imports against the layout:\n" + "\n".join("  " + w for w in wrong)


def test_entry_points_are_thin():
    """Each ``tools/*.py`` only imports its library's ``main`` and calls it (no logic lives there)."""
    for path in sorted((ROOT / "tools").glob("*.py")):
        if path.name == "__init__.py":
            continue
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        assert len(lines) <= 8, f"{path.relative_to(ROOT)} has {len(lines)} lines: move its logic into a library"


@pytest.fixture
def tree(tmp_path: Path):
    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return tmp_path

    return write


def test_a_circle_is_found_and_named_even_through_a_lazy_import(tree):
    root = tree({
        "components/__init__.py": "",
        "components/config/__init__.py": "",
        "components/config/models.py": "from components.config import rules\n",
        "components/config/rules.py": "def f():\n    from components.config.models import X\n",
        "components/platform.py": "from components.config import models\n",
    })
    (circle,) = circles(import_edges(root))
    assert [str(e) for e in circle] == [
        "components.config.models -> components.config.rules (components/config/models.py:1)",
        "components.config.rules -> components.config.models (components/config/rules.py:2)",
    ]


def test_a_forbidden_direction_is_named(tree):
    root = tree({
        "components/__init__.py": "",
        "components/platform.py": "import planning.capacity\n",
        "components/providers/__init__.py": "",
        "components/providers/gate.py": "from components.workloads import render\n",
        "components/workloads/__init__.py": "",
        "components/workloads/render.py": "",
        "planning/__init__.py": "",
        "planning/capacity.py": "",
        "flink_rest/__init__.py": "",
        "flink_rest/client.py": "import pulumi\n",
        "tools/plan.py": "from planning.capacity import main\n",
    })
    wrong = forbidden(import_edges(root))
    assert wrong == [
        "components.platform -> planning.capacity (components/platform.py:1): components/ never imports the offline plan",
        "components.providers.gate -> components.workloads.render (components/providers/gate.py:1): a provider's "
        "imports are part of every user's stored state: it may import only components.providers and flink_rest",
    ]
    assert pulumi_in_flink_rest(root) == ["flink_rest.client imports pulumi (flink_rest/client.py:1)"]
    assert not circles(import_edges(root))
