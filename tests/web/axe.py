"""Accessibility, checked by axe-core (bundled with axe-playwright-python, run in the page itself)."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Page

_AXE = Axe()
SERIOUS = ("serious", "critical")


def serious_violations(page: Page) -> list[str]:
    """Each serious or critical axe violation on the page as it is now: rule, impact, and where."""
    results: dict[str, Any] = _AXE.run(page).response
    found: list[str] = []
    for violation in results.get("violations", []):
        if violation.get("impact") in SERIOUS:
            targets = [str(node.get("target")) for node in violation.get("nodes", [])][:3]
            found.append(f"{violation['id']} ({violation['impact']}): {', '.join(targets)}")
    return found


def assert_accessible(page: Page) -> None:
    """No serious or critical violation on the page as it is shown now."""
    problems = serious_violations(page)
    assert problems == [], f"axe found on {page.url}: " + "; ".join(problems)
