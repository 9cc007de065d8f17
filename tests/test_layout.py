"""The import structure the layout promises (docs/layout.md): no module imports one that imports it
back, even lazily inside a function, and api/ is a toolkit that imports no concept."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

MANYI = Path(__file__).resolve().parents[1] / "manyi"
CONCEPTS = {
    "org", "auth", "calendars", "customers", "categories", "outbox", "hub", "notify", "sla", "orders",
    "bulk", "console", "setup", "demo", "ops",
}  # fmt: skip


def _modules() -> dict[str, Path]:
    found = {}
    for path in MANYI.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(MANYI.parent).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def _type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name | ast.Attribute) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree: ast.AST) -> Iterator[str]:
    """Every manyi module named by an import, at the top or inside a function (not TYPE_CHECKING)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        else:
            yield from _imports(node)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        named = set(_imports(ast.parse(path.read_text(encoding="utf-8"))))
        # A package's own __init__ runs first whatever is imported from it: not an edge back.
        graph[name] = {m for m in named if m in modules and m != name and not name.startswith(m + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_checker_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert _cycles(_graph()) == []


def test_api_is_a_toolkit_that_imports_no_concept() -> None:
    graph = _graph()
    assert "manyi.api.admin" in graph and graph["manyi.api.admin"]  # the checker reads api/ at all
    reached = {(m, n) for m, names in graph.items() if m.startswith("manyi.api.") for n in names}
    assert sorted((m, n) for m, n in reached if n.split(".")[1] in CONCEPTS) == []
