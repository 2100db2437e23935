"""A forgotten password through the pages: sign-in -> forgot -> the emailed link -> a new password
-> sign in with it, in Hebrew, Arabic and English, with axe on each page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect
from pydantic import SecretStr

from kernel.notices import Notice
from messages import tasks
from tests.messages.support import context
from tests.smtp import SmtpServer, smtp_server
from tests.web.axe import assert_accessible
from tests.web.conftest import Browser, choose_language, enrol_by_api, goto, sign_in, texts
from tests.web.test_layout import LANGUAGE_NAMES, SMALL_PHONE, TAP, TARGET_HEIGHTS

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]

LOCALES = {"he": "he-IL", "ar": "ar-IL", "en": "en-GB"}
NEW_PASSWORD = "a-brand-new-passphrase"
__all__ = ["smtp_server"]  # the fixture, for the test that reads a real email


def reset_link(notices_posted: list[Notice], email: str) -> str:
    links = [n.link for n in notices_posted if n.email == email and n.email_only and n.link]
    assert len(links) == 1, notices_posted
    return links[0]


@pytest.mark.parametrize("language", list(LOCALES))
def test_a_forgotten_password_is_reset_through_the_pages(
    browser: Browser, notices_posted: list[Notice], language: str
) -> None:
    words = texts(language)
    account = enrol_by_api(browser.server)
    page = browser.open("/signin", locale=LOCALES[language])
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.get_by_role("link", name=words["signin.forgot_link"]).click()
    page.wait_for_url("**/forgot-password")
    expect(page.locator("html")).to_have_attribute("data-ready", "true")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["forgot_password.heading"])
    assert_accessible(page)
    page.get_by_label(words["forgot_password.by_email"], exact=True).check()
    expect(page.locator("#identity-label")).to_have_text(words["field.email"])
    page.locator("#identity").fill(account["email"])
    page.get_by_role("button", name=words["forgot_password.submit"]).click()
    expect(page.get_by_role("status")).to_have_text(words["forgot_password.sent"])
    assert_accessible(page)

    link = reset_link(notices_posted, account["email"])
    token = link.split("#token=", 1)[1]
    goto(page, link)
    # The token is taken off the address bar, and no request carried it in its address.
    assert page.url.endswith("/reset-password")
    expect(page.get_by_role("heading", level=1)).to_have_text(words["reset_password.heading"])
    assert_accessible(page)
    password = page.get_by_label(words["reset_password.new_password"])
    password.fill("short")
    page.get_by_role("button", name=words["reset_password.submit"]).click()
    expect(page.get_by_role("status")).to_contain_text("10")
    expect(password).to_have_attribute("aria-invalid", "true")
    password.fill(NEW_PASSWORD)
    page.get_by_role("button", name=words["reset_password.submit"]).click()
    expect(page.get_by_role("status")).to_have_text(words["reset_password.done"])
    assert_accessible(page)
    page.get_by_role("link", name=words["reset_password.signin"]).click()
    page.wait_for_url("**/signin")

    sign_in(page, {"username": account["username"], "password": NEW_PASSWORD}, lands_on="/wallet")
    assert not [url for url in requested if token in url]


def test_a_used_link_says_so_and_offers_a_new_one(
    browser: Browser, notices_posted: list[Notice]
) -> None:
    words = texts("en")
    account = enrol_by_api(browser.server)
    page = browser.open("/forgot-password", locale="en-GB")
    page.locator("#identity").fill(account["username"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text(words["forgot_password.sent"])
    link = reset_link(notices_posted, account["email"])

    for attempt in range(2):
        # As from the email: a page of its own (a link differing only after # would not reload).
        page = browser.open(link, locale="en-GB")
        page.get_by_label(words["reset_password.new_password"]).fill(NEW_PASSWORD)
        page.keyboard.press("Enter")
        if attempt == 0:
            expect(page.get_by_role("status")).to_have_text(words["reset_password.done"])

    expect(page.get_by_role("status")).to_contain_text("not valid")
    expect(page.locator("#reset-form")).to_be_hidden()
    page.get_by_role("link", name=words["reset_password.ask_again"]).click()
    page.wait_for_url("**/forgot-password")


def test_a_link_without_its_token_sends_the_visitor_to_ask_again(browser: Browser) -> None:
    words = texts("he")
    page = browser.open("/reset-password", locale="he-IL")

    expect(page.get_by_text(words["reset_password.no_token"])).to_be_visible()
    expect(page.locator("#reset-form")).to_be_hidden()
    expect(page.get_by_role("link", name=words["reset_password.ask_again"])).to_be_visible()
    assert_accessible(page)


def test_nothing_tells_a_known_account_from_an_unknown_one(
    browser: Browser, notices_posted: list[Notice]
) -> None:
    words = texts("ar")
    page = browser.open("/forgot-password", locale="ar-IL")
    page.locator("#identity").fill("nobody-by-this-name")
    with page.expect_response(lambda answer: answer.url.endswith("/auth/password-reset")) as sent:
        page.get_by_role("button", name=words["forgot_password.submit"]).click()

    expect(page.get_by_role("status")).to_have_text(words["forgot_password.sent"])
    assert sent.value.status == 202
    assert notices_posted == []


@pytest.mark.parametrize("path", ["/forgot-password", "/reset-password#token=x", "/confirm-email"])
def test_the_pages_fit_a_360_pixel_phone(browser: Browser, path: str) -> None:
    page = browser.open(path, locale="ar-IL", viewport=SMALL_PHONE)

    for language in LANGUAGE_NAMES:
        choose_language(page, language)
        fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, (path, language)
        heights = page.evaluate(TARGET_HEIGHTS)
        assert [(what, height) for what, height in heights if height < TAP] == []


def test_asking_for_a_link_with_the_keyboard_alone(
    browser: Browser, notices_posted: list[Notice]
) -> None:
    account = enrol_by_api(browser.server)
    page = browser.open("/forgot-password", locale="en-GB")
    by_username = page.get_by_role("radio", name="Username")

    for _ in range(12):
        page.keyboard.press("Tab")
        if by_username.evaluate("radio => radio === document.activeElement"):
            break
    expect(by_username).to_be_focused()
    page.keyboard.press("ArrowDown" if page.evaluate("document.dir") == "ltr" else "ArrowUp")
    expect(page.get_by_role("radio", name="Email address")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#identity")).to_be_focused()
    expect(page.locator("#identity")).to_have_attribute("type", "email")
    page.keyboard.type(account["email"])
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text(texts("en")["forgot_password.sent"])
    assert len(notices_posted) == 1


def test_the_reset_email_arrives_by_smtp_and_its_link_works(
    browser: Browser, smtp_server: SmtpServer
) -> None:
    words = texts("he")
    account = enrol_by_api(browser.server)
    database = browser.server.database
    settings = database.settings.model_copy(update={"smtp_url": SecretStr(smtp_server.url)})
    asked = httpx.post(
        f"{browser.server.base_url}/api/v1/auth/password-reset",
        json={"username": account["username"]},
        timeout=10,
    )
    assert asked.status_code == 202

    tasks.DELIVER.run(context(settings, database.engine, datetime.now(UTC) + timedelta(seconds=1)))

    [email] = [e for e in smtp_server.wait_for(1) if "/reset-password#token=" in e.text()]
    assert email.recipients == [account["email"]]
    found = re.search(r"(\S+)/reset-password#token=([A-Za-z0-9_-]+)", email.text())
    assert found is not None
    assert found.group(1) == settings.public_url
    page = browser.open(f"/reset-password#token={found.group(2)}", locale="he-IL")
    page.get_by_label(words["reset_password.new_password"]).fill(NEW_PASSWORD)
    page.get_by_role("button", name=words["reset_password.submit"]).click()
    expect(page.get_by_role("status")).to_have_text(words["reset_password.done"])
    sign_in(page, {"username": account["username"], "password": NEW_PASSWORD}, lands_on="/wallet")

    # The account is told by email too that its password changed.
    tasks.DELIVER.run(context(settings, database.engine, datetime.now(UTC) + timedelta(seconds=2)))
    smtp_server.wait_for(2)
    changed = [e for e in smtp_server.received if e.subject == "הסיסמה שלך שונתה"]
    assert [e.recipients for e in changed] == [[account["email"]]]
