"""The pages as served: their headers, their language, and a text for every key in all three languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import cashback.web
import figures.web
import parking.web
import resident_card.web
import toshav.web
from kernel.i18n import LANGUAGES, Language
from kernel.pages import Page
from tests.web.conftest import PAGES, SHELL, STATIC_FOLDERS, static_file, texts
from toshav.web.pages import TEMPLATES as SHELL_TEMPLATES

PAGE_PATHS = [page.path for page in PAGES]
STATIC_FILES = sorted(
    {
        path.relative_to(folder).as_posix()
        for folder in STATIC_FOLDERS
        for path in folder.rglob("*")
        if path.is_file()
    }
)
SCRIPTS = sorted(path for folder in STATIC_FOLDERS for path in folder.joinpath("js").glob("*.js"))
# The layout and every page's template, and the parts domains add to each other's pages.
TEMPLATES = sorted(
    {SHELL_TEMPLATES / "layout.html"}
    | {page.template for page in PAGES}
    | {template for templates in SHELL.parts.values() for template in templates}
)
STYLES = sorted(path for folder in STATIC_FOLDERS for path in folder.joinpath("css").glob("*.css"))

# Keys the scripts build from data (a status, a kind of identifier, a relation) rather than spell out.
BUILT_KEYS = [
    *(
        f"status.{status}{suffix}"
        for status in ("pending", "verified", "rejected", "suspended", "moved_out", "unknown")
        for suffix in ("", ".explain")
    ),
    *(f"identifier.{kind}" for kind in ("israeli_id", "passport", "foster_care", "other")),
    *(f"relation.{relation}" for relation in ("child", "foster_child")),
    *(f"{page.name}.title" for page in PAGES),
]


def _keys_in_templates(templates: list[Path] = TEMPLATES) -> set[str]:
    keys: set[str] = set()
    for template in templates:
        keys.update(re.findall(r'data-i18n(?:-[a-z-]+)?="([a-z0-9_.]+)"', template.read_text()))
    return keys


def _keys_in_scripts(scripts: list[Path] = SCRIPTS) -> set[str]:
    namespaces = {key.split(".")[0] for key in texts("en")}
    keys: set[str] = set()
    for script in scripts:
        for literal in re.findall(r'"([a-z_]+\.[a-z0-9_.]+)"', script.read_text()):
            if literal.split(".")[0] in namespaces:
                keys.add(literal)
    return keys


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_every_page_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("name", STATIC_FILES)
def test_every_static_file_is_served_with_the_headers(client: TestClient, name: str) -> None:
    response = client.get(f"/static/{name}")

    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    if name.endswith(".js"):
        assert "javascript" in response.headers["content-type"]


def test_the_api_keeps_its_own_headers(client: TestClient) -> None:
    # Swagger UI at /docs needs inline script; the pages' policy is for the pages.
    assert "content-security-policy" not in client.get("/healthz").headers


@pytest.mark.parametrize(
    ("accept_language", "cookie", "language", "direction"),
    [
        (None, None, "he", "rtl"),
        ("fr-FR,fr;q=0.9", None, "he", "rtl"),
        ("ar-IL,ar;q=0.9,en;q=0.5", None, "ar", "rtl"),
        ("en-GB,en;q=0.9", None, "en", "ltr"),
        ("en-GB,en;q=0.9", "ar", "ar", "rtl"),
        ("ar", "xx", "ar", "rtl"),
    ],
)
def test_a_page_comes_in_the_visitors_language(
    client: TestClient,
    accept_language: str | None,
    cookie: str | None,
    language: str,
    direction: str,
) -> None:
    headers = {"Accept-Language": accept_language or ""}
    if cookie:
        client.cookies.set("toshav_lang", cookie)
    response = client.get("/signin", headers=headers)

    assert f'<html lang="{language}" dir="{direction}">' in response.text
    assert f'data-lang="{language}" lang="{language}" dir="{direction}" aria-pressed="true"' in (
        response.text
    )
    assert f">{texts(language)['signin.heading']}</h1>" in response.text
    assert response.headers["content-language"] == language
    assert "Accept-Language" in response.headers["vary"]


# The plural forms a counting text may have besides its own (see i18n.js's t()).
PLURAL_FORMS = (".zero", ".one", ".two", ".few", ".many")


def test_every_text_exists_in_all_three_languages() -> None:
    hebrew, arabic, english = (texts(language) for language in ("he", "ar", "en"))

    assert set(hebrew) == set(arabic) == set(english)
    for language in LANGUAGES:
        for key, text in texts(language).items():
            assert text.strip(), f"{language}: {key} is empty"
            placeholders = set(re.findall(r"\{(\w+)\}", text))
            expected = set(re.findall(r"\{(\w+)\}", english[key]))
            if key.endswith(PLURAL_FORMS):  # "one campaign" may say its count in words
                assert placeholders <= expected, (language, key)
            else:
                assert placeholders == expected, (language, key)
    assert hebrew["app.skip"] != english["app.skip"] != arabic["app.skip"]


def test_every_key_the_pages_use_is_in_the_dictionaries() -> None:
    used = _keys_in_templates() | _keys_in_scripts() | set(BUILT_KEYS)
    used.discard("{{page}}.title")

    assert used - set(texts("en")) == set()
    assert len(used) > 100  # the scan found the pages' keys, not nothing


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_page_renders_with_no_text_left_out(page: Page, language: Language) -> None:
    markup = SHELL.render(page, language)

    assert "{{" not in markup
    # Every marked element got its text; nothing marked was left empty.
    assert re.search(r'data-i18n="[a-z0-9_.]+"[^<>]*></', markup) is None


def test_the_pages_need_no_inline_script_style_or_other_origin() -> None:
    for path in [*TEMPLATES, *SCRIPTS, *STYLES]:
        text = path.read_text()
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) is None, path
        assert re.search(r"\sstyle=", text) is None, path
        assert re.search(r"\son[a-z]+=", text) is None, path
        # An address of another origin; SVG's namespace is a name, never fetched.
        assert re.search(r"https?://(?!www\.w3\.org/2000/svg\b)", text) is None, path
        assert "@import" not in text, path
        assert "@font-face" not in text, path


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_colours_meet_four_and_a_half_to_one() -> None:
    css = static_file("css/toshav.css").read_text()
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", css))
    white = "#ffffff"
    text_pairs = [
        ("ink", "paper"),
        ("ink", "ground"),
        ("muted", "paper"),
        ("muted", "ground"),
        ("brand", "paper"),
        ("brand", "ground"),
        ("ok-ink", "ok-bg"),
        ("wait-ink", "wait-bg"),
        ("bad-ink", "bad-bg"),
        ("calm-ink", "calm-bg"),
    ]
    for ink, ground in text_pairs:
        assert _contrast(colours[ink], colours[ground]) >= 4.5, (ink, ground)
    assert _contrast(white, colours["brand"]) >= 4.5
    assert _contrast(white, colours["brand-dark"]) >= 4.5
    # Borders of inputs and the focus ring are seen against the page (WCAG 1.4.11: 3:1).
    assert _contrast(colours["line"], colours["paper"]) >= 3
    assert _contrast(colours["ink"], colours["focus"]) >= 3


# Each folder of pages with its own texts, and the folders whose texts its pages may count on
# besides: the shell's (every page is in the layout) and, for the domains a city turns on, the
# card's and the figures' (always on). A text another optional domain defines is not there when
# that domain is off.
WEB_FOLDERS: dict[str, tuple[Path, tuple[str, ...]]] = {
    "toshav": (Path(toshav.web.__file__).parent, ()),
    "resident_card": (Path(resident_card.web.__file__).parent, ("toshav",)),
    # Figures is always on too: the sections parking and cashback add to its dashboard use its words.
    "figures": (Path(figures.web.__file__).parent, ("toshav", "resident_card")),
    "parking": (Path(parking.web.__file__).parent, ("toshav", "resident_card", "figures")),
    "cashback": (Path(cashback.web.__file__).parent, ("toshav", "resident_card", "figures")),
}


def _own_texts(domain: str, language: Language) -> dict[str, str]:
    folder = WEB_FOLDERS[domain][0]
    found: dict[str, str] = json.loads(
        (folder / "static" / "i18n" / f"{language}.json").read_text()
    )
    return found


@pytest.mark.parametrize("domain", WEB_FOLDERS)
def test_each_domains_pages_use_only_texts_they_can_count_on(domain: str) -> None:
    folder, below = WEB_FOLDERS[domain]
    templates = sorted(path for path in TEMPLATES if path.is_relative_to(folder))
    scripts = sorted(path for path in SCRIPTS if path.is_relative_to(folder))
    titles = {f"{page.name}.title" for page in PAGES if page.template.is_relative_to(folder)}
    used = _keys_in_templates(templates) | _keys_in_scripts(scripts) | titles
    used.discard("{{page}}.title")

    assert templates
    assert scripts
    own = {language: set(_own_texts(domain, language)) for language in LANGUAGES}
    assert own["he"] == own["ar"] == own["en"], domain
    for language in LANGUAGES:
        known = set().union(*(_own_texts(name, language) for name in (domain, *below)))
        assert used - known == set(), (domain, language)
