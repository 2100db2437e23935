"""No two modules of the project import each other, not even for type checking only.

A pair of modules that need each other is one module split in two: move the shared piece down into
a module both can import (as ``benefits.eligibility.rule_problems`` holds ``RuleProblem`` for the
rule checker and its exceptions).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every folder of the project's Python, the tests and benchmarks included.
PACKAGES = (
    "kernel",
    "toshav",
    "resident_card",
    "benefits",
    "parking",
    "cashback",
    "migrations",
    "tests",
    "bench",
)


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        folder = root / package
        assert folder.is_dir(), f"{package}/ is missing: the test would pass without looking"
        for path in sorted(folder.rglob("*.py")):
            found[_module_name(root, path)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules one module imports, wherever the import stands (a function body, an
    ``if TYPE_CHECKING:`` block): ``from a.b import c`` is ``a.b.c`` when that is a module."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {imported for imported in found if imported in modules} - {name}


def mutual_imports(root: Path, packages: tuple[str, ...]) -> list[str]:
    modules = _modules(root, packages)
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    return sorted(
        f"{name} <-> {other}"
        for name, imported in graph.items()
        for other in imported
        if name < other and name in graph[other]
    )


def test_no_two_modules_import_each_other() -> None:
    assert mutual_imports(ROOT, PACKAGES) == []


def test_a_circle_through_type_checking_is_found(tmp_path: Path) -> None:
    domain = tmp_path / "domain"
    domain.mkdir()
    (domain / "__init__.py").write_text('"""A domain."""\n')
    (domain / "rules.py").write_text("from domain.exceptions import InvalidRule\n")
    (domain / "exceptions.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .rules import Problem\n"
    )
    (domain / "service.py").write_text("from domain import rules\n")

    assert mutual_imports(tmp_path, ("domain",)) == ["domain.exceptions <-> domain.rules"]
