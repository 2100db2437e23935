"""The inbox's part of the wallet and its files (``templates/``, ``static/``: script, styles, texts)."""

from __future__ import annotations

from pathlib import Path

from kernel.pages import PagePart

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

# The person's messages, the unread count at the top of the wallet, and what they want by email.
PARTS: tuple[PagePart, ...] = (PagePart("wallet", TEMPLATES / "wallet-inbox.html"),)
