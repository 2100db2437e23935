"""The inbox's part of the wallet, the notices' parts of the clerk's desk and of a neighbourhood's
page, and their files (``templates/``, ``static/``: scripts, styles, texts)."""

from __future__ import annotations

from pathlib import Path

from kernel.pages import PagePart

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

PARTS: tuple[PagePart, ...] = (
    # The person's messages, the unread count at the top of the wallet, what they want by email.
    PagePart("wallet", TEMPLATES / "wallet-inbox.html"),
    # The city's notices on the clerk's desk: posted, withdrawn, read by auditors.
    PagePart("clerk", TEMPLATES / "clerk-notices.html"),
    # The city's notices current for a neighbourhood, on its public page.
    PagePart("neighbourhood", TEMPLATES / "neighbourhood-notices.html"),
)
