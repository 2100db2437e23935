"""Cashback's pages and their files (``templates/``, ``static/``: scripts, styles, texts)."""

from __future__ import annotations

from pathlib import Path

from kernel.pages import Page, PagePart, page_router

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

PAGES: tuple[Page, ...] = (
    # A business's till: scans the resident's card QR with the camera where the browser can.
    Page("/till", "till", TEMPLATES / "till.html", allows=("camera",)),
    # A business applies to the scheme, with the login its owner has or one made on the way.
    Page("/business/apply", "business_apply", TEMPLATES / "business_apply.html"),
    # The owner's page: the business's staff logins.
    Page("/business", "business", TEMPLATES / "business.html"),
)
# Businesses applying to the scheme, flagged purchases and campaigns, on the clerk's desk;
PARTS: tuple[PagePart, ...] = (
    PagePart("clerk", TEMPLATES / "clerk-cashback.html"),
    # What the resident earned: balances, purchases and the statement behind them, in the wallet.
    PagePart("wallet", TEMPLATES / "wallet-cashback.html"),
    # The person's business beside their wallet: its till, or a way to apply.
    PagePart("wallet", TEMPLATES / "wallet-business.html"),
    # The businesses in the scheme on a neighbourhood's public page.
    PagePart("neighbourhood", TEMPLATES / "neighbourhood-businesses.html"),
    # Campaigns, purchases by neighbourhood, the busiest businesses and flags, on the dashboard.
    PagePart("dashboard", TEMPLATES / "dashboard-cashback.html"),
)

router = page_router(*PAGES)
