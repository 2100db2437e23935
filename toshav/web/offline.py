"""The installable wallet: its web app manifest, and the service worker that keeps its shell.

The worker is served from the site's root and registered with the scope ``/wallet``, so it controls
the wallet's page and nothing else: the clerk's desk, the till and the scanner never go through it.
Its cache's name carries the package's version and a digest of the files it keeps, so a deploy that
changes any of them installs a new worker, which fetches them afresh and drops the old copy.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kernel.i18n import LANGUAGES, RIGHT_TO_LEFT
from kernel.pages import STATIC_URL
from toshav.web.files import dictionary_path
from toshav.web.pages import SECURITY_HEADERS, TEMPLATES, Shell, page_language

MANIFEST_PATH = "/manifest.webmanifest"
WORKER_PATH = "/wallet-worker.js"
WALLET = "/wallet"
ICONS = (
    {"src": f"{STATIC_URL}/icons/icon-192.png", "sizes": "192x192", "type": "image/png"},
    {"src": f"{STATIC_URL}/icons/icon-512.png", "sizes": "512x512", "type": "image/png"},
    {
        "src": f"{STATIC_URL}/icons/icon-maskable-512.png",
        "sizes": "512x512",
        "type": "image/png",
        "purpose": "maskable",
    },
)
THEME = "#0a4f8a"

# What a wallet's file names: the files of its parts' templates and the modules its scripts import.
_REFERENCE = re.compile(r'(?:href|src|data-part)="' + re.escape(STATIC_URL) + r'/([^"{}]+)"')
_IMPORT = re.compile(r'(?:from\s+|import\s*\(\s*|import\s+)"\./([\w.-]+\.js)"')
# The wallet's own files by name; the layout's own files are in every page.
_WALLET_FILES = re.compile(r"(?:js/wallet[\w-]*\.js|css/wallet[\w-]*\.css)")
_LAYOUT_FILES = ("css/toshav.css", "icon.svg", "js/i18n.js", "js/api.js", "js/page.js")


def manifest(shell: Shell, request: Request) -> Response:
    """The manifest in the visitor's language (Hebrew, right to left, unless they chose another)."""
    language = page_language(request)
    texts = shell.dictionaries.texts[language]
    body = {
        "name": texts["app.name"],
        "short_name": texts["app.name"],
        "description": texts["app.description"],
        "lang": language,
        "dir": "rtl" if language in RIGHT_TO_LEFT else "ltr",
        "id": WALLET,
        "start_url": WALLET,
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME,
        "icons": list(ICONS),
    }
    headers = {
        **SECURITY_HEADERS,
        "Cache-Control": "no-cache",
        "Vary": "Accept-Language, Cookie",
        "Content-Language": language,
    }
    return Response(
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        media_type="application/manifest+json",
        headers=headers,
    )


def _found(folders: Iterable[Path], name: str) -> Path | None:
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    return None


def wallet_files(shell: Shell) -> dict[str, Path]:
    """The static files the wallet's page loads (by name under /static/), its modules' imports
    followed; a domain that is off brings none."""
    folders = shell.layers[STATIC_URL]
    names: list[str] = list(_LAYOUT_FILES)
    for folder in folders:
        names += sorted(
            str(path.relative_to(folder))
            for path in folder.rglob("*")
            if _WALLET_FILES.fullmatch(str(path.relative_to(folder)))
        )
    for template in shell.parts.get("wallet", ()):
        names += _REFERENCE.findall(template.read_text("utf-8"))
    names += [f"icons/{Path(icon['src']).name}" for icon in ICONS]
    files: dict[str, Path] = {}
    while names:
        name = names.pop()
        path = _found(folders, name)
        if name in files or path is None:
            continue
        files[name] = path
        if name.endswith(".js"):
            names += [f"js/{module}" for module in _IMPORT.findall(path.read_text("utf-8"))]
    return dict(sorted(files.items()))


def _package_version() -> str:
    try:
        return version("toshav")
    except PackageNotFoundError:
        return "0"


def worker(shell: Shell) -> Callable[[], Response]:
    """The wallet's service worker, with the list of its shell and the version of this deploy."""
    files = wallet_files(shell)
    digest = hashlib.sha256()
    for name, path in files.items():
        digest.update(name.encode() + b"\0" + path.read_bytes())
    for language in LANGUAGES:
        digest.update(json.dumps(shell.dictionaries.texts[language], sort_keys=True).encode())
    shell_urls = [
        WALLET,
        MANIFEST_PATH,
        *(f"{STATIC_URL}/{name}" for name in files),
        *(dictionary_path(language) for language in LANGUAGES),
    ]
    source = (
        (TEMPLATES / "wallet-worker.js")
        .read_text("utf-8")
        .replace("{{version}}", f"{_package_version()}-{digest.hexdigest()[:12]}")
        .replace("{{shell}}", json.dumps(shell_urls, indent=2))
    )
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-cache"}

    def wallet_worker() -> Response:
        return Response(source, media_type="text/javascript", headers=headers)

    return wallet_worker


def offline_router(shell: Shell) -> APIRouter:
    """The manifest and the wallet's worker, at the site's root."""
    router = APIRouter(include_in_schema=False)

    def web_app_manifest(request: Request) -> Response:
        return manifest(shell, request)

    router.add_api_route(MANIFEST_PATH, web_app_manifest, methods=["GET", "HEAD"])
    router.add_api_route(WORKER_PATH, worker(shell), methods=["GET", "HEAD"])
    return router
