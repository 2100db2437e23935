"""The web pages: the resident's wallet, the inspector's scanner, the merchant's terminal."""

from __future__ import annotations

from fastapi import FastAPI


def mount_pages(app: FastAPI) -> None:
    """Serve the pages. (Filled in as the pages are built.)"""
