"""The web pages: the resident's wallet, the clerk's desk, and (later) the inspector's and merchant's pages.

Plain HTML, CSS and small JavaScript modules, with no build step and nothing from another origin. Every
text a person reads comes from one dictionary per language (``static/i18n/{he,ar,en}.json``); the
server fills a page in the visitor's language so it reads right before any script runs, and the
script switches language in place.
"""

from __future__ import annotations

from fastapi import FastAPI

from toshav.web.pages import STATIC_DIR, HardenedStaticFiles, router


def mount_pages(app: FastAPI) -> None:
    """Serve the pages at their own paths and their files under ``/static``."""
    app.include_router(router)
    app.mount("/static", HardenedStaticFiles(directory=STATIC_DIR), name="static")
