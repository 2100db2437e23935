"""What a newcomer meets first: the API reference with no internet, and a mistyped address."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Route, expect

from tests.web.axe import assert_accessible
from tests.web.conftest import Browser, texts

LOCALES = {"he": "he-IL", "ar": "ar-IL", "en": "en-GB"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# Any address in a page's markup: an absolute URL or a protocol-relative one.
ADDRESS = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""")


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_reference_names_no_other_host(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert ADDRESS.findall(response.text) == []
    files = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert files
    assert all(name.startswith("/docs/files/") for name in files)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("favicon.png", "image/png"),
        ("redoc.standalone.js", "text/javascript"),
    ],
)
def test_the_reference_files_are_served_by_the_app(
    client: TestClient, name: str, content_type: str
) -> None:
    assert f"/docs/files/{name}" in client.get("/docs").text + client.get("/redoc").text
    response = client.get(f"/docs/files/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert len(response.content) > 1000


def test_the_authorize_button_comes_back_to_the_app(client: TestClient) -> None:
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in (
        client.get("/docs").text
    )
    assert client.get("/docs/oauth2-redirect").status_code == 200


@pytest.mark.parametrize(
    ("accept_language", "language", "direction"),
    [(None, "he", "rtl"), ("ar", "ar", "rtl"), ("en-GB,en;q=0.9", "en", "ltr")],
)
def test_a_missing_page_is_a_page(
    client: TestClient, accept_language: str | None, language: str, direction: str
) -> None:
    response = client.get("/walet", headers={"Accept-Language": accept_language or ""})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f'<html lang="{language}" dir="{direction}">' in response.text
    assert f">{texts(language)['missing.heading']}</h1>" in response.text
    assert re.search(r'<a class="button primary" href="/"[^>]*>', response.text)
    assert response.headers["content-language"] == language
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/nope", "/static/nope.js", "/.well-known/nope", "/docs/nope"]
)
def test_a_missing_route_for_programs_is_json(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Accept-Language": "en"})

    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not found."}


def test_a_missing_api_route_answers_any_method_in_json(client: TestClient) -> None:
    response = client.post("/api/v1/nope", json={})

    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.browser
def test_the_reference_works_with_no_other_host(browser: Browser) -> None:
    page = browser.open("/")
    elsewhere: list[str] = []

    def only_here(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_here)
    page.goto("/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Toshav")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()
    assert elsewhere == []


@pytest.mark.browser
@pytest.mark.parametrize("language", list(LOCALES))
def test_the_missing_page_reads_right_and_leads_home(browser: Browser, language: str) -> None:
    page = browser.open("/walet", locale=LOCALES[language])

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", "ltr" if language == "en" else "rtl")
    expect(page.locator("h1")).to_have_text(texts(language)["missing.heading"])
    assert_accessible(page)
    page.get_by_role("link", name=texts(language)["missing.home"]).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("body")).to_have_attribute("data-page", "landing")
