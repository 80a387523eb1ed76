"""The house plan the README draws, checked on the code itself.

Every service has the same rooms (service.py, handlers/, rules.py,
repository.py, models.py, manage.py, migrations/); database queries live in
repository.py (and the models and migrations); no service imports another
service or the gateway; every marshmallow schema that crosses a boundary is
defined once, in tracker_common.contracts; no source file is longer than
400 lines."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / p.name / "service.py").exists())
ROOMS = ("service.py", "handlers/__init__.py", "rules.py", "models.py", "manage.py", "migrations/env.py")
MAX_LINES = 400

# Query building and running: only the repository (and models, migrations) may.
SQL_NAMES = {"select", "insert", "update", "delete", "text", "func", "exists", "bindparam", "case", "and_",
             "or_", "not_", "union", "union_all", "literal", "literal_column", "column", "table", "tuple_",
             "distinct", "cast", "null", "true", "false", "over", "extract", "values", "lateral"}
SESSION_CALLS = {"execute", "scalar", "scalars", "query", "add_all", "merge", "flush", "get_bind", "connection"}
SESSION_NAMES = {"session", "connection", "conn"}


def _package(service: str) -> Path:
    return ROOT / "services" / service / service


def _modules(package: Path):
    for path in sorted(package.rglob("*.py")):
        if "migrations" not in path.relative_to(package).parts:
            yield path


def _is_repository(package: Path, path: Path) -> bool:
    relative = path.relative_to(package)
    return relative.parts[0] in ("repository.py", "repository", "models.py")


def _sql_found(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            if node.module.startswith("sqlalchemy.dialects"):
                found.append(f"line {node.lineno}: imports {node.module}")
            for alias in node.names:
                if alias.name in SQL_NAMES:
                    found.append(f"line {node.lineno}: imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Import) and any(a.name == "sqlalchemy" for a in node.names):
            found.append(f"line {node.lineno}: imports sqlalchemy")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if node.func.attr in SESSION_CALLS and owner_name in SESSION_NAMES:
                found.append(f"line {node.lineno}: {owner_name}.{node.func.attr}()")
            elif node.func.attr in {"add", "delete", "get"} and owner_name == "session":
                found.append(f"line {node.lineno}: session.{node.func.attr}()")
    return found


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _schemas_defined(tree: ast.AST) -> list[str]:
    """Classes deriving from a marshmallow Schema (directly, or from a class
    the same module derives from one)."""
    schema_bases = {"Schema", "marshmallow.Schema"}
    found = []
    for node in tree.body if isinstance(tree, ast.Module) else []:
        if isinstance(node, ast.ClassDef):
            bases = {ast.unparse(b) for b in node.bases}
            if bases & schema_bases:
                schema_bases.add(node.name)
                found.append(f"line {node.lineno}: class {node.name}")
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_rooms(service):
    package = _package(service)
    missing = [room for room in ROOMS if not (package / room).exists()]
    if not ((package / "repository.py").exists() or (package / "repository" / "__init__.py").exists()):
        missing.append("repository.py")
    assert not missing, f"{service} lacks {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_queries_live_in_the_repository(service):
    package = _package(service)
    outside = {}
    for path in _modules(package):
        if _is_repository(package, path):
            continue
        found = _sql_found(ast.parse(path.read_text(), str(path)))
        if found:
            outside[str(path.relative_to(ROOT))] = found
    assert not outside, f"queries outside {service}/repository.py: {outside}"


@pytest.mark.parametrize("service", SERVICES)
def test_no_service_imports_another_or_the_gateway(service):
    others = (set(SERVICES) - {service}) | {"gateway"}
    wrong = {}
    for path in _modules(_package(service)):
        reached = _imports(ast.parse(path.read_text())) & others
        if reached:
            wrong[str(path.relative_to(ROOT))] = sorted(reached)
    assert not wrong, wrong


def test_the_gateway_imports_no_service():
    wrong = {}
    for path in sorted((ROOT / "gateway" / "gateway").rglob("*.py")):
        reached = _imports(ast.parse(path.read_text())) & set(SERVICES)
        if reached:
            wrong[str(path.relative_to(ROOT))] = sorted(reached)
    assert not wrong, wrong


def test_schemas_are_defined_once_in_the_contracts():
    contracts = ROOT / "lib" / "tracker_common" / "contracts"
    elsewhere = {}
    for top in (ROOT / "services", ROOT / "gateway" / "gateway", ROOT / "lib" / "tracker_common"):
        for path in sorted(top.rglob("*.py")):
            if contracts in path.parents or "migrations" in path.parts:
                continue
            found = _schemas_defined(ast.parse(path.read_text()))
            if found:
                elsewhere[str(path.relative_to(ROOT))] = found
    assert not elsewhere, f"schemas outside tracker_common.contracts: {elsewhere}"


def test_no_source_file_is_over_400_lines():
    long = {}
    for top in ("services", "gateway", "lib", "tests", "bench", "deploy", "tools"):
        for path in sorted((ROOT / top).rglob("*.py")) if (ROOT / top).exists() else ():
            if "migrations" in path.parts or ".venv" in path.parts or "node_modules" in path.parts:
                continue
            lines = len(path.read_text().splitlines())
            if lines > MAX_LINES:
                long[str(path.relative_to(ROOT))] = lines
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_the_checks_can_fail():
    """The finders above find what they look for."""
    tree = ast.parse(
        "from sqlalchemy import select\nfrom marshmallow import Schema\n"
        "class A(Schema):\n    pass\nclass B(A):\n    pass\n"
        "def f(uow):\n    uow.session.execute(select(1))\n    import gateway\n")
    assert len(_sql_found(tree)) == 2
    assert [s.split(": ")[1] for s in _schemas_defined(tree)] == ["class A", "class B"]
    assert "gateway" in _imports(tree)
