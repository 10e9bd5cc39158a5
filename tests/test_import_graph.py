"""The package's import graph: no cycle, and no import running back up the one-way flow.

Every ``import`` in the package counts, at module level or inside a function (a lazy import is
still a dependency). A name imported from a package that is one of its modules counts as that
module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "publisher"

# The foundations: what they are built on is the package's leaves, never the modules that
# orchestrate them (the runner, the reports, the commands).
FOUNDATIONS = ("publisher.store", "publisher.platforms", "publisher.digest")
ORCHESTRATION = (
    "publisher.cli",
    "publisher.commands",
    "publisher.runner",
    "publisher.enqueue",
    "publisher.plan",
    "publisher.preview",
    "publisher.reports",
    "publisher.render_text",
    "publisher.render_json",
    "publisher.summary",
    "publisher.doctor",
    "publisher.scaffold",
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imported(node: ast.AST, package: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            kept = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            base = ".".join([*kept, *([node.module] if node.module else [])])
        yield base
        yield from (f"{base}.{alias.name}" for alias in node.names)


def graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package's modules it imports."""

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for imported in _imported(node, package):
                target = known(imported) if imported.startswith("publisher") else None
                if target and target != name:
                    targets.add(target)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = [stack.pop()]
                while component[-1] != node:
                    component.append(stack.pop())
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _inside(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(graph(_modules())) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


@pytest.mark.parametrize("foundation", FOUNDATIONS)
def test_foundations_never_import_what_orchestrates_them(foundation: str) -> None:
    edges = graph(_modules())
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in edges.items()
        if _inside(source, (foundation,))
        for target in targets
        if _inside(target, ORCHESTRATION)
    )
    assert upward == []


def test_only_the_entry_point_imports_the_command_line() -> None:
    edges = graph(_modules())
    importers = sorted(m for m, targets in edges.items() if "publisher.cli" in targets)
    assert importers == ["publisher.__main__"]
