"""The web pages: the shell every page shares, and the enabled domains' pages in it.

Plain HTML, CSS and small JavaScript modules, with no build step and nothing from another origin.
Each domain keeps its pages in its own ``web/`` folder (``resident_card/web``: enrolment, sign-in,
the wallet, the clerk's desk; ``parking/web``: the scanner and parking's part of the wallet;
``cashback/web``: the till and cashback's part of the desk); the root serves those of the domains a
deployment turns on, and a domain that is off has no page, file or text here. Every text a person
reads comes from the dictionaries (``static/i18n/{he,ar,en}.json`` in each folder, merged); the
server fills a page in the visitor's language so it reads right before any script runs, and the
script switches language in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from kernel.errors import http_error_response
from kernel.i18n import LANGUAGES, Language
from kernel.manifest import Manifest
from kernel.pages import PAGE_SHELL, STATIC_URL
from toshav.web.files import HardenedStaticFiles, dictionary_path
from toshav.web.offline import offline_router
from toshav.web.pages import MISSING, SECURITY_HEADERS, Shell, is_page_path, router


def mount_pages(app: FastAPI, manifests: Iterable[Manifest]) -> None:
    """Serve the shell's and these domains' pages at their own paths, their files under their
    static paths, the merged dictionaries where the pages fetch them, and the installable wallet's
    manifest and service worker; a page's path that no route has answers the missing page, in the
    shell's layout and the visitor's language."""
    manifests = tuple(manifests)
    shell = Shell.of(manifests)
    setattr(app.state, PAGE_SHELL, shell)
    app.add_exception_handler(404, _missing(shell))
    for language in LANGUAGES:
        app.add_api_route(
            dictionary_path(language),
            _dictionary(shell, language),
            methods=["GET", "HEAD"],
            include_in_schema=False,
        )
    app.include_router(router)
    app.include_router(offline_router(shell))
    for manifest in manifests:
        for pages in manifest.pages:
            app.include_router(pages)
    for prefix, folders in shell.layers.items():
        name = "static" if prefix == STATIC_URL else prefix.strip("/").replace("/", "_")
        app.mount(prefix, HardenedStaticFiles(folders, SECURITY_HEADERS), name=name)


def _dictionary(shell: Shell, language: Language) -> Callable[[Request], Response]:
    def texts(request: Request) -> Response:
        return shell.dictionaries.response(language, request.headers.get("if-none-match"))

    texts.__name__ = f"texts_{language}"
    texts.__doc__ = f"Every text of the pages in {language}."
    return texts


def _missing(shell: Shell) -> Callable[[Request, Exception], Response]:
    def missing(request: Request, exc: Exception) -> Response:
        if is_page_path(request.url.path):
            return shell.respond(MISSING, request, status_code=404)
        return http_error_response(
            request, exc if isinstance(exc, HTTPException) else HTTPException(404)
        )

    return missing
