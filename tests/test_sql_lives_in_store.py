"""Every SQL statement lives in `store`: the stages above only call its named queries and writes.

Walks the syntax tree of each module outside `store` and fails, naming module and line, on an
import from SQLAlchemy other than the `Session` type, or on a call of a session method that
issues SQL.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawler", "figures", "digest", "scheduler", "web", "pressmon", "samplesite")
ALLOWED_IMPORTS = {("sqlalchemy.orm", "Session")}
SQL_METHODS = {
    "add",
    "add_all",
    "delete",
    "get",
    "get_one",
    "execute",
    "scalars",
    "scalar",
    "merge",
    "flush",
    "query",
    "refresh",
}


def _is_session_annotation(node: ast.expr | None) -> bool:
    if node is None:
        return False
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value.split("[")[0].split(".")[-1].strip() == "Session"
    if isinstance(node, ast.Name):
        return node.id == "Session"
    if isinstance(node, ast.Attribute):
        return node.attr == "Session"
    if isinstance(node, ast.BinOp):  # Session | None
        return _is_session_annotation(node.left) or _is_session_annotation(node.right)
    return False


def _opens_session(node: ast.expr) -> bool:
    """`store.session()`, `Session(...)`, `sessionmaker()()`: an expression that is a session."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr in {"session", "Session"}
    return isinstance(func, ast.Name) and func.id in {"Session", "session"}


def _session_names(scope: ast.AST) -> set[str]:
    """Names that hold a session in this function (or module): by annotation or `with ... as`."""
    names = {"session"}
    for node in ast.walk(scope):
        if isinstance(node, ast.arg) and _is_session_annotation(node.annotation):
            names.add(node.arg)
        elif isinstance(node, ast.AnnAssign) and _is_session_annotation(node.annotation):
            if isinstance(node.target, ast.Name):
                names.add(node.target.id)
        elif isinstance(node, ast.withitem) and _opens_session(node.context_expr):
            if isinstance(node.optional_vars, ast.Name):
                names.add(node.optional_vars.id)
        elif isinstance(node, ast.Assign) and _opens_session(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _receiver(node: ast.expr) -> str | None:
    """`session` in `session.add(...)`, `self.session.add(...)` and `store.session().add(...)`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if _opens_session(node):
        return "session"
    return None


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Ids of import nodes under `if TYPE_CHECKING:`, which never run."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                ids.update(id(n) for n in ast.walk(inner))
    return ids


def violations(source: str, module: str) -> list[str]:
    """What in this module's source builds or issues SQL, as `module:line: reason`."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    typing_only = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sqlalchemy" or alias.name.startswith("sqlalchemy."):
                    found.append((node.lineno, f"imports {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            for alias in node.names:
                if (node.module, alias.name) not in ALLOWED_IMPORTS:
                    found.append((node.lineno, f"imports {alias.name} from {node.module}"))
    scopes: list[ast.AST] = [
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    scopes.append(tree)
    for scope in scopes:
        names = _session_names(scope)
        for node in ast.walk(scope):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS
                and _receiver(node.func.value) in names
            ):
                found.append((node.lineno, f"calls {ast.unparse(node.func)}()"))
    return [f"{module}:{line}: {reason}" for line, reason in sorted(set(found))]


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_the_walk_finds_every_stage_module() -> None:
    modules = {p.relative_to(ROOT).parts[0] for p in _modules()}
    assert modules == set(PACKAGES)


def test_no_module_outside_the_store_builds_or_issues_sql() -> None:
    found = [
        v
        for path in _modules()
        for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not found, "SQL outside store/:\n" + "\n".join(found)


def test_the_walk_catches_statements_and_session_calls() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from sqlalchemy import select\n"
        "from sqlalchemy.orm import Session\n"
        "if TYPE_CHECKING:\n"
        "    from sqlalchemy.orm import Query\n"
        "def read(db: Session, seen: set[int]) -> None:\n"
        "    seen.add(1)\n"
        "    db.scalars(select(1))\n"
        "def write(store) -> None:\n"
        "    with store.session() as s:\n"
        "        s.add(object())\n"
        "        s.flush()\n"
    )
    assert violations(source, "m.py") == [
        "m.py:2: imports select from sqlalchemy",
        "m.py:8: calls db.scalars()",
        "m.py:11: calls s.add()",
        "m.py:12: calls s.flush()",
    ]
