"""The layers hold: no import circle between modules, and no stage imports the shell.

The graph is built from the source (AST), not by importing, so a circle that
Python happens to tolerate (a function-level import, a partly initialised
module) is still caught. Imports under `if TYPE_CHECKING:` count too: a type
that only the checker sees still ties the two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHELL = "pressmon"
STAGES = ("crawler", "store", "figures", "digest", "scheduler", "web", "samplesite")
SKIPPED = (ROOT / "store" / "migrations",)


def _module_files() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    modules: dict[str, Path] = {}
    for package in (SHELL, *STAGES):
        for path in sorted((ROOT / package).rglob("*.py")):
            if any(path.is_relative_to(skipped) for skipped in SKIPPED):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement at any depth: module level, in functions, under `if`."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def _resolve(name: str, modules: set[str]) -> str | None:
    """The project module a dotted import name lands in (its longest known prefix)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names one import statement asks for."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    # `from pkg import name` imports the submodule pkg.name when there is one.
    return [f"{base}.{alias.name}" for alias in node.names] + [base]


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (module- and function-level alike)."""
    files = _module_files()
    names = set(files)
    graph: dict[str, set[str]] = {name: set() for name in files}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _imports(tree):
            targets = _targets(module, is_package, node)
            if isinstance(node, ast.ImportFrom):
                # Names that are submodules count as such; otherwise the module itself.
                *submodules, base = targets
                found: list[str | None] = [t for t in submodules if t in names]
                hits = found or [_resolve(base, names)]
            else:
                hits = [_resolve(target, names) for target in targets]
            graph[module] |= {hit for hit in hits if hit is not None and hit != module}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import circles, one per edge that closes one, each a path back to its start."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start)
    return cycles


def test_the_graph_sees_the_project() -> None:
    graph = import_graph()
    assert {"pressmon.cli", "crawler.run", "store.database", "web.app"} <= set(graph)
    assert not any(name.startswith("store.migrations") for name in graph)
    assert "store.database" in graph["store"]  # the package re-exports Store


def test_find_cycle_reports_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "e"}, "e": {"d"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"], ["d", "e", "d"]]
    assert find_cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_relative_function_level_and_type_checking_imports_count() -> None:
    source = "def later():\n    from . import sibling\n\nif TYPE_CHECKING:\n    import other\n"
    nodes = sorted(_imports(ast.parse(source)), key=lambda node: node.lineno)
    assert len(nodes) == 2
    assert _targets("pkg.mod", False, nodes[0])[0] == "pkg.sibling"
    assert _targets("pkg", True, nodes[0])[0] == "pkg.sibling"
    assert _targets("pkg.mod", False, nodes[1]) == ["other"]


def test_no_import_circle() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import circles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_no_stage_imports_the_shell() -> None:
    graph = import_graph()
    crossings = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module.split(".")[0] != SHELL
        for target in targets
        if target.split(".")[0] == SHELL
    )
    assert not crossings, "stages importing the shell:\n" + "\n".join(crossings)
