"""The card's pages and their files (``templates/``, ``static/``: scripts, styles, texts)."""

from __future__ import annotations

from pathlib import Path

from kernel.pages import Page, page_router

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

PAGES: tuple[Page, ...] = (
    Page("/enrol", "enrol", TEMPLATES / "enrol.html"),
    Page("/signin", "signin", TEMPLATES / "signin.html"),
    Page("/forgot-password", "forgot_password", TEMPLATES / "forgot_password.html"),
    Page("/reset-password", "reset_password", TEMPLATES / "reset_password.html"),
    Page("/confirm-email", "confirm_email", TEMPLATES / "confirm_email.html"),
    # The wallet finds the parking zone the resident stands in, when they let it.
    Page("/wallet", "wallet", TEMPLATES / "wallet.html", allows=("geolocation",)),
    Page("/clerk", "clerk", TEMPLATES / "clerk.html"),
)

router = page_router(*PAGES)
