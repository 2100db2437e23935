"""Parking's pages and their files (``templates/``, ``static/``: scripts, styles, texts)."""

from __future__ import annotations

from pathlib import Path

from kernel.pages import Page, PagePart, page_router

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

PAGES: tuple[Page, ...] = (
    # The scanner reads a pass with the camera and finds the zone from where the inspector stands.
    Page("/inspect", "inspect", TEMPLATES / "inspect.html", allows=("camera", "geolocation")),
)
# The resident's vehicles, permits and passes, and free parking time, in the wallet.
# The zones that lie in a neighbourhood, on its public page; inspections and permits per zone, on
# the city's dashboard.
PARTS: tuple[PagePart, ...] = (
    PagePart("wallet", TEMPLATES / "wallet-parking.html"),
    PagePart("neighbourhood", TEMPLATES / "neighbourhood-zones.html"),
    PagePart("dashboard", TEMPLATES / "dashboard-parking.html"),
)

router = page_router(*PAGES)
