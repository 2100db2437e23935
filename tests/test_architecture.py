"""The shape the code promises: arrows point one way, and services never commit."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kernel", "resident_card", "benefits", "parking", "cashback", "toshav")
# What each package may import besides itself.
ALLOWED = {
    "kernel": set(),
    "resident_card": {"kernel"},
    "benefits": {"kernel", "resident_card"},
    "parking": {"kernel", "resident_card", "benefits"},
    "cashback": {"kernel", "resident_card", "benefits"},
    "toshav": {"kernel", "resident_card", "benefits", "parking", "cashback"},
}


def _python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


def test_packages_import_only_downwards() -> None:
    wrong = []
    for package in PACKAGES:
        for path in _python_files(package):
            for imported in _imported_packages(path) - {package} - ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert wrong == []


def test_services_and_repositories_never_commit() -> None:
    offenders = []
    for package in PACKAGES:
        for path in _python_files(package):
            # A room too large for one file is a folder of modules (parking/service/).
            in_room = path.parent.name in ("service", "repository", "rules")
            if path.name not in ("service.py", "repository.py", "rules.py") and not in_room:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "commit"
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_no_session_query_or_legacy_column() -> None:
    offenders = []
    for package in PACKAGES:
        for path in _python_files(package):
            text = path.read_text()
            if "session.query(" in text or "Column(" in text.replace("mapped_column(", ""):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
