"""The shell every page shares: the layout, the landing page, the filling of a page's texts in one
language, and the headers every page carries."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse

from kernel.i18n import LANGUAGES, RIGHT_TO_LEFT, Language, negotiate
from kernel.manifest import Manifest
from kernel.pages import STATIC_URL, Page, page_router
from toshav.web.files import Dictionaries, merged_dictionary, static_layers

TEMPLATES = Path(__file__).resolve().parent / "templates"

LANDING = Page("/", "landing", TEMPLATES / "landing.html")
# What the service owes everyone (toshav.obligations): the privacy notice and the accessibility
# statement, linked from every page's footer beside the source.
PRIVACY = Page("/privacy", "privacy", TEMPLATES / "privacy.html")
ACCESSIBILITY = Page("/accessibility", "accessibility", TEMPLATES / "accessibility.html")
router = page_router(LANDING, PRIVACY, ACCESSIBILITY)
# The page a path no route has answers with (status 404); never routed itself.
MISSING = Page("/missing", "missing", TEMPLATES / "missing.html")
# Paths a program calls: there a missing route answers the API's JSON error, not a page.
NOT_PAGES = ("/api", "/.well-known", STATIC_URL, "/docs", "/redoc", "/openapi.json")

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
# Where a page's template takes the parts other domains add to it.
PARTS_SLOT = "{{parts}}"


def fill_texts(markup: str, texts: Mapping[str, str]) -> str:
    """Put each marked text and attribute of a page in one language (a missing key is a KeyError)."""

    def text(match: re.Match[str]) -> str:
        return match["open"] + html.escape(texts[match["key"]], quote=False) + match["close"]

    def attribute(match: re.Match[str]) -> str:
        value = html.escape(texts[match["key"]], quote=True)
        return f'{match[0]} {match["attribute"]}="{value}"'

    return _TEXT.sub(text, _ATTRIBUTE.sub(attribute, markup))


def page_language(request: Request) -> Language:
    """The visitor's chosen language (cookie), else the browser's, else Hebrew."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    for language in LANGUAGES:
        if chosen == language:
            return language
    return negotiate(request.headers.get("accept-language"))


@dataclass
class Shell:
    """The pages of one deployment: what the enabled domains bring (their static folders, texts
    and parts of each other's pages), filled into the layout every page shares."""

    layers: dict[str, tuple[Path, ...]]
    dictionaries: Dictionaries
    # A page's name -> the templates of the parts other domains add to it, in the domains' order.
    parts: dict[str, tuple[Path, ...]]
    _rendered: dict[tuple[str, Language], str] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, manifests: Iterable[Manifest]) -> Shell:
        """The shell of these domains; refuses two of them shipping one file or defining one text."""
        manifests = tuple(manifests)
        layers = static_layers(manifests)
        texts = {
            language: merged_dictionary(layers[STATIC_URL], language) for language in LANGUAGES
        }
        parts: dict[str, list[Path]] = {}
        for manifest in manifests:
            for part in manifest.page_parts:
                parts.setdefault(part.page, []).append(part.template)
        return cls(
            layers=layers,
            dictionaries=Dictionaries(texts, SECURITY_HEADERS),
            parts={page: tuple(templates) for page, templates in parts.items()},
        )

    def texts(self, language: Language) -> dict[str, str]:
        return dict(self.dictionaries.texts[language])

    def render(self, page: Page, language: Language) -> str:
        """A page in one language, ready to send."""
        found = self._rendered.get((page.name, language))
        if found is None:
            found = self._rendered[(page.name, language)] = self._render(page, language)
        return found

    def _render(self, page: Page, language: Language) -> str:
        body = page.template.read_text("utf-8")
        parts = "".join(template.read_text("utf-8") for template in self.parts.get(page.name, ()))
        if parts and PARTS_SLOT not in body:
            raise ValueError(f"the {page.name} page has parts but no {PARTS_SLOT} to put them in")
        slots = {
            "body": body.replace(PARTS_SLOT, parts),
            "page": page.name,
            "lang": language,
            "dir": "rtl" if language in RIGHT_TO_LEFT else "ltr",
            **{f"pressed_{other}": str(other == language).lower() for other in LANGUAGES},
        }
        layout = (TEMPLATES / "layout.html").read_text("utf-8")
        markup = _SLOT.sub(lambda match: slots[match["name"]], layout)
        return fill_texts(markup, self.dictionaries.texts[language])

    def respond(self, page: Page, request: Request, status_code: int = 200) -> HTMLResponse:
        language = page_language(request)
        headers = {
            **SECURITY_HEADERS,
            "Permissions-Policy": permissions_policy(page.allows),
            "Cache-Control": "no-cache",
            "Vary": "Accept-Language, Cookie",
            "Content-Language": language,
        }
        return HTMLResponse(self.render(page, language), status_code=status_code, headers=headers)


def is_page_path(path: str) -> bool:
    """Whether a person's browser, rather than a program, asks for this path."""
    return not any(path == prefix or path.startswith(f"{prefix}/") for prefix in NOT_PAGES)
