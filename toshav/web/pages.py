"""The page routes, the filling of a page's texts in one language, and the headers every page carries."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from kernel.i18n import LANGUAGES, RIGHT_TO_LEFT, Language, negotiate

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
DICTIONARY_DIR = STATIC_DIR / "i18n"

# The script mirrors the visitor's choice (kept in localStorage) into this cookie, so the next
# page arrives already in that language instead of flashing the browser's language first.
LANGUAGE_COOKIE = "toshav_lang"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

POLICY_FEATURES = ("camera", "microphone", "geolocation", "payment")


def permissions_policy(allows: tuple[str, ...]) -> str:
    """Every powerful feature off, except those a page is allowed, for its own origin."""
    return ", ".join(
        f"{feature}=(self)" if feature in allows else f"{feature}=()" for feature in POLICY_FEATURES
    )


SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": permissions_policy(()),
}


@dataclass(frozen=True)
class Page:
    """A page: its path, its template (also the name of its script) and the key of its title."""

    path: str
    name: str
    # Browser features this page may use, on its own origin only (the inspector's camera and GPS).
    allows: tuple[str, ...] = ()


PAGES: tuple[Page, ...] = (
    Page("/", "landing"),
    Page("/enrol", "enrol"),
    Page("/signin", "signin"),
    # The wallet finds the parking zone the resident stands in, when they let it.
    Page("/wallet", "wallet", allows=("geolocation",)),
    Page("/clerk", "clerk"),
    Page("/inspect", "inspect", allows=("camera", "geolocation")),
    # A business's till: scans the resident's card QR with the camera where the browser can.
    Page("/till", "till", allows=("camera",)),
)


# A text goes into an empty element marked data-i18n="key", and an attribute comes from
# data-i18n-<attribute>="key". The script does the same in the browser when the language changes.
_TEXT = re.compile(
    r'(?P<open><(?P<tag>[a-z][a-z0-9]*)\b[^<>]*?\sdata-i18n="(?P<key>[a-z0-9_.]+)"[^<>]*>)'
    r"(?P<close></(?P=tag)>)"
)
_ATTRIBUTE = re.compile(
    r'\sdata-i18n-(?P<attribute>aria-label|placeholder|title|alt|content)="(?P<key>[a-z0-9_.]+)"'
)
_SLOT = re.compile(r"\{\{(?P<name>[a-z_]+)\}\}")


@lru_cache(maxsize=len(LANGUAGES))
def dictionary(language: Language) -> dict[str, str]:
    """Every text of the pages in one language."""
    texts: dict[str, Any] = json.loads((DICTIONARY_DIR / f"{language}.json").read_text("utf-8"))
    return {str(key): str(value) for key, value in texts.items()}


def fill_texts(markup: str, texts: dict[str, str]) -> str:
    """Put each marked text and attribute of a page in one language (a missing key is a KeyError)."""

    def text(match: re.Match[str]) -> str:
        return match["open"] + html.escape(texts[match["key"]], quote=False) + match["close"]

    def attribute(match: re.Match[str]) -> str:
        value = html.escape(texts[match["key"]], quote=True)
        return f'{match[0]} {match["attribute"]}="{value}"'

    return _TEXT.sub(text, _ATTRIBUTE.sub(attribute, markup))


@lru_cache(maxsize=len(PAGES) * len(LANGUAGES))
def render_page(name: str, language: Language) -> str:
    """A page in one language, ready to send."""
    layout = (TEMPLATES_DIR / "layout.html").read_text("utf-8")
    slots = {
        "body": (TEMPLATES_DIR / f"{name}.html").read_text("utf-8"),
        "page": name,
        "lang": language,
        "dir": "rtl" if language in RIGHT_TO_LEFT else "ltr",
        **{f"pressed_{other}": str(other == language).lower() for other in LANGUAGES},
    }
    markup = _SLOT.sub(lambda match: slots[match["name"]], layout)
    return fill_texts(markup, dictionary(language))


def page_language(request: Request) -> Language:
    """The visitor's chosen language (cookie), else the browser's, else Hebrew."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    for language in LANGUAGES:
        if chosen == language:
            return language
    return negotiate(request.headers.get("accept-language"))


def page_response(name: str, request: Request, *, allows: tuple[str, ...] = ()) -> HTMLResponse:
    language = page_language(request)
    headers = {
        **SECURITY_HEADERS,
        "Permissions-Policy": permissions_policy(allows),
        "Cache-Control": "no-cache",
        "Vary": "Accept-Language, Cookie",
        "Content-Language": language,
    }
    return HTMLResponse(render_page(name, language), headers=headers)


# The scanner's service worker lives with the other scripts but must control the page /inspect
# (outside /static/js/), so it may, and only it: it keeps the scanner working with no network.
INSPECT_WORKER = "js/inspect-worker.js"
INSPECT_WORKER_SCOPE = "/inspect"


class HardenedStaticFiles(StaticFiles):
    """The pages' scripts, styles and dictionaries, with the same headers as the pages."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if path == INSPECT_WORKER:
            response.headers["Service-Worker-Allowed"] = INSPECT_WORKER_SCOPE
        return response

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update(SECURITY_HEADERS)
        # No build step means no fingerprinted names: let the browser revalidate (ETag) every time.
        response.headers["Cache-Control"] = "no-cache"
        return response


router = APIRouter(include_in_schema=False)


def _add_route(page: Page) -> None:
    def serve(request: Request) -> HTMLResponse:
        return page_response(page.name, request, allows=page.allows)

    serve.__name__ = f"page_{page.name}"
    serve.__doc__ = f"The {page.name} page."
    router.add_api_route(page.path, serve, methods=["GET", "HEAD"], response_class=HTMLResponse)


for _page in PAGES:
    _add_route(_page)
