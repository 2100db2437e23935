"""The API reference at /docs (Swagger UI) and /redoc (ReDoc), served whole by the app.

Their scripts, styles and icon come from the ``fastapi-offline`` package and are served under
``DOCS_FILES``, so the reference works on a machine with no internet and names no other host.
In production the reference and its document are not served unless ``TOSHAV_PUBLIC_DOCS=true``
(``Settings.serves_docs``): there every one of these paths answers 404.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
DOCS_FILES = "/docs/files"
FILES = Path(fastapi_offline.__file__).resolve().parent / "static"


def mount_docs(app: FastAPI) -> None:
    """Serve the reference pages and their files; the app is made with ``docs_url=None`` and
    ``redoc_url=None`` so these are the only ones."""
    app.mount(DOCS_FILES, StaticFiles(directory=FILES), name="docs_files")
    title = app.title

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=f"{root}{DOCS_FILES}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_FILES}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_FILES}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_FILES}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_FILES}/favicon.png",
            with_google_fonts=False,
        )
