"""A web page as a domain declares it, and the routes that serve it.

Each domain keeps its pages (templates, scripts, styles, texts) in its own ``web/`` folder and lists
their routes and static folder in its manifest. The composition root's shell fills a page: it puts
the page's template in the layout every page shares, adds the parts other enabled domains bring to
it, writes every text in the visitor's language, and sends it with the pages' security headers. A
page's route finds that shell on the app (``PAGE_SHELL``), so a domain needs nothing from the root.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

# Where a page's files are served; every domain's static folder is a layer of this one path, so a
# script imports another domain's by the same relative name ("./api.js") wherever each file lives.
STATIC_URL = "/static"


@dataclass(frozen=True)
class Page:
    """A page: its path, and its name, which is also its script's (``static/js/<name>.js``) and
    the first part of its title's key (``<name>.title``)."""

    path: str
    name: str
    template: Path
    # Browser features this page may use, on its own origin only (the inspector's camera and GPS).
    allows: tuple[str, ...] = ()


@dataclass(frozen=True)
class PagePart:
    """A section one domain adds to another's page where the deployment runs it (parking's on the
    card's wallet): its template goes where the page's template says ``{{parts}}``, and names in
    ``data-part`` the module that drives it, which exports ``startPart``."""

    page: str
    template: Path


class PageShell(Protocol):
    """What fills and sends a page: the root's, made from the enabled domains' manifests."""

    def respond(self, page: Page, request: Request) -> HTMLResponse: ...


# The app's state attribute that holds its shell.
PAGE_SHELL = "page_shell"


def shell_of(request: Request) -> PageShell:
    shell: PageShell = getattr(request.app.state, PAGE_SHELL)
    return shell


def page_router(*pages: Page) -> APIRouter:
    """The routes of these pages, each answered by the app's shell."""
    router = APIRouter(include_in_schema=False)
    for page in pages:
        router.add_api_route(
            page.path,
            _serve(page),
            methods=["GET", "HEAD"],
            response_class=HTMLResponse,
            name=f"page_{page.name}",
        )
    return router


def _serve(page: Page) -> Callable[[Request], HTMLResponse]:
    def serve(request: Request) -> HTMLResponse:
        return shell_of(request).respond(page, request)

    serve.__name__ = f"page_{page.name}"
    serve.__doc__ = f"The {page.name} page."
    return serve
