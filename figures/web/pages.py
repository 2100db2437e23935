"""Figures' pages and their files (``templates/``, ``static/``: scripts, styles, texts, and the
charting library under ``static/vendor/``): the city's dashboard and the neighbourhoods' public
pages."""

from __future__ import annotations

from pathlib import Path

from kernel.pages import Page, PagePart, page_router

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

PAGES: tuple[Page, ...] = (
    Page("/neighbourhoods", "neighbourhoods", TEMPLATES / "neighbourhoods.html"),
    # One neighbourhood: its open-data figures; other domains add its businesses, parking zones
    # and the city's notices for it as parts of this page.
    Page("/neighbourhoods/{code}", "neighbourhood", TEMPLATES / "neighbourhood.html"),
    # The city's dashboard, for admins and auditors: benefits' uptake here; the domains the city
    # runs add their own sections (cashback's, parking's) as parts of it.
    Page("/dashboard", "dashboard", TEMPLATES / "dashboard.html"),
)
# The way to the dashboard from the clerk's desk.
PARTS: tuple[PagePart, ...] = (PagePart("clerk", TEMPLATES / "clerk-dashboard.html"),)

router = page_router(*PAGES)
