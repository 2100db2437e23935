"""Each domain's pages are served only where the deployment runs that domain (TOSHAV_MODULES): a
domain that is off has no page, no file, no text and no part of another domain's page."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cashback.web import pages as cashback_pages
from figures.web import pages as figures_pages
from kernel.i18n import LANGUAGES
from kernel.manifest import Manifest
from kernel.pages import STATIC_URL
from kernel.settings import Settings
from parking.web import pages as parking_pages
from resident_card.web import pages as card_pages
from tests.web.conftest import SHELL
from toshav.domains import CORE, OPTIONAL
from toshav.web.pages import LANDING, Shell

# What each optional domain serves, and what it adds to the card's pages.
SERVED = {
    "parking": [
        "/inspect",
        "/static/js/inspect.js",
        "/static/js/inspect-offline.js",
        "/static/js/offline-judge.js",
        "/static/js/inspect-worker.js",
        "/static/js/wallet-parking.js",
        "/static/css/wallet-parking.css",
        "/static/js/dashboard-parking.js",
    ],
    "cashback": [
        "/till",
        "/static/js/till.js",
        "/static/js/clerk-cashback.js",
        "/static/js/clerk-campaigns.js",
        "/static/js/money.js",
        "/static/js/dashboard-cashback.js",
    ],
}
PARTS = {
    "parking": ("/wallet", 'id="parking"', 'data-part="/static/js/wallet-parking.js"'),
    "cashback": ("/clerk", 'id="cashback-desk"', 'data-part="/static/js/clerk-cashback.js"'),
}
# Their sections of the city's dashboard, which is always there (figures is always on).
DASHBOARD_PARTS = {
    "parking": 'data-part="/static/js/dashboard-parking.js"',
    "cashback": 'data-part="/static/js/dashboard-cashback.js"',
}
# Always served: the shell and the card's pages.
ALWAYS = [
    "/",
    "/enrol",
    "/signin",
    "/wallet",
    "/clerk",
    "/static/js/page.js",
    "/static/js/api.js",
    "/static/js/i18n.js",
    "/static/js/wallet.js",
    "/static/js/clerk.js",
    "/dashboard",
    "/static/js/dashboard.js",
    "/static/js/figures-charts.js",
    "/static/vendor/chart_js/chart.umd.min.js",
    "/static/css/toshav.css",
    "/static/css/wallet.css",
    "/static/icon.svg",
    *(f"/static/i18n/{language}.json" for language in LANGUAGES),
]
STAGES = [[], ["parking"], ["cashback"], ["parking", "cashback"]]
OPTIONAL_PAGES = {"parking": parking_pages.PAGES, "cashback": cashback_pages.PAGES}


@pytest.fixture
def modules() -> list[str]:
    return ["parking", "cashback"]


@pytest.fixture
def settings(settings: Settings, modules: list[str]) -> Settings:
    return settings.model_copy(update={"modules": modules})


@pytest.mark.parametrize("modules", STAGES)
def test_only_the_enabled_domains_have_pages_and_files(
    client: TestClient, modules: list[str]
) -> None:
    for path in ALWAYS:
        assert client.get(path).status_code == 200, path
    for domain, paths in SERVED.items():
        for path in paths:
            expected = 200 if domain in modules else 404
            assert client.get(path).status_code == expected, (modules, path)


@pytest.mark.parametrize("modules", STAGES)
def test_the_card_pages_have_the_parts_of_the_enabled_domains_only(
    client: TestClient, modules: list[str]
) -> None:
    for domain, (path, *marks) in PARTS.items():
        page = client.get(path).text
        for mark in marks:
            assert (mark in page) is (domain in modules), (modules, path, mark)
    dashboard = client.get("/dashboard").text
    for domain, mark in DASHBOARD_PARTS.items():
        assert (mark in dashboard) is (domain in modules), (modules, mark)
    wallet = client.get("/wallet").text
    assert ('data-part="/static/js/wallet-parking.js"' in wallet) is ("parking" in modules)
    assert 'data-part="/static/js/wallet-inbox.js"' in wallet  # messages are always on


@pytest.mark.parametrize("modules", STAGES)
def test_the_dictionaries_hold_the_enabled_domains_texts(
    client: TestClient, modules: list[str]
) -> None:
    for language in LANGUAGES:
        keys = set(client.get(f"/static/i18n/{language}.json").json())
        assert "wallet.heading" in keys
        assert "nav.inspect" in keys  # the layout's, whatever runs
        assert ("inspect.heading" in keys) is ("parking" in modules)
        assert ("parking.heading" in keys) is ("parking" in modules)
        assert ("till.heading" in keys) is ("cashback" in modules)
        assert ("clerk.businesses" in keys) is ("cashback" in modules)


@pytest.mark.parametrize("modules", [[]])
def test_a_city_with_neither_domain_answers_404_for_the_scanner_and_the_till(
    client: TestClient,
) -> None:
    for path in ("/till", "/inspect", "/static/js/till.js", "/static/js/inspect.js"):
        assert client.get(path).status_code == 404, path
    wallet = client.get("/wallet")
    assert wallet.status_code == 200
    assert 'id="parking"' not in wallet.text
    assert "wallet-parking" not in wallet.text


@pytest.mark.parametrize("modules", [["parking"]])
def test_a_city_running_parking_alone_has_the_scanner_but_no_till(client: TestClient) -> None:
    assert client.get("/till").status_code == 404
    assert client.get("/inspect").status_code == 200
    assert client.get("/static/js/till.js").status_code == 404
    assert 'id="parking"' in client.get("/wallet").text
    assert 'id="cashback-desk"' not in client.get("/clerk").text


def test_a_dictionary_is_revalidated_by_its_etag(client: TestClient) -> None:
    first = client.get("/static/i18n/ar.json")
    assert first.headers["cache-control"] == "no-cache"
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["content-type"].startswith("application/json")
    again = client.get("/static/i18n/ar.json", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert client.get("/static/i18n/fr.json").status_code == 404


@pytest.mark.parametrize("stage", STAGES, ids=["core", "parking", "cashback", "both"])
def test_every_page_of_a_stage_renders_in_every_language(stage: list[str]) -> None:
    manifests = (*CORE, *(OPTIONAL[name] for name in stage))
    shell = Shell.of(manifests)
    pages = [
        LANDING,
        *card_pages.PAGES,
        *figures_pages.PAGES,
        *(page for name in stage for page in OPTIONAL_PAGES[name]),
    ]
    for page in pages:
        for language in LANGUAGES:
            assert "{{" not in shell.render(page, language)


def _folder(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_two_domains_may_not_ship_one_file(tmp_path: Path) -> None:
    one = _folder(tmp_path / "one", {"js/scanner.js": ""})
    other = _folder(tmp_path / "other", {"js/scanner.js": ""})
    shadowing = _folder(tmp_path / "shadowing", {"js/api.js": ""})

    with pytest.raises(ValueError, match=r"js/scanner\.js"):
        Shell.of(
            [
                Manifest("one", static=((STATIC_URL, one),)),
                Manifest("other", static=((STATIC_URL, other),)),
            ]
        )
    with pytest.raises(ValueError, match=r"js/api\.js"):
        Shell.of([Manifest("shadowing", static=((STATIC_URL, shadowing),))])


def test_two_domains_may_not_define_one_text(tmp_path: Path) -> None:
    dictionaries = {f"i18n/{language}.json": '{"wallet.heading": "x"}' for language in LANGUAGES}
    again = _folder(tmp_path / "again", dictionaries)

    with pytest.raises(ValueError, match=r"wallet\.heading"):
        Shell.of([*CORE, Manifest("again", static=((STATIC_URL, again),))])


def test_the_shell_of_every_domain_has_each_part_once() -> None:
    assert {page: sorted(part.name for part in parts) for page, parts in SHELL.parts.items()} == {
        "wallet": [
            "wallet-business.html",
            "wallet-cashback.html",
            "wallet-inbox.html",
            "wallet-parking.html",
        ],
        "clerk": ["clerk-cashback.html", "clerk-dashboard.html", "clerk-notices.html"],
        "dashboard": ["dashboard-cashback.html", "dashboard-parking.html"],
        "neighbourhood": [
            "neighbourhood-businesses.html",
            "neighbourhood-notices.html",
            "neighbourhood-zones.html",
        ],
    }
