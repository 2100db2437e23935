"""Figures' pages and their files (``templates/``, ``static/``: scripts, styles, texts): the
neighbourhoods' public pages."""

from __future__ import annotations

from pathlib import Path

from kernel.pages import Page, page_router

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

PAGES: tuple[Page, ...] = (
    Page("/neighbourhoods", "neighbourhoods", TEMPLATES / "neighbourhoods.html"),
    # One neighbourhood: its open-data figures; other domains add its businesses, parking zones
    # and the city's notices for it as parts of this page.
    Page("/neighbourhoods/{code}", "neighbourhood", TEMPLATES / "neighbourhood.html"),
)

router = page_router(*PAGES)
