"""The wallet's inbox in a real Chromium on a small phone, in each language: the unread count at
the top, messages newest first, read when opened (by keyboard), and the categories to receive."""

from __future__ import annotations

import uuid
from typing import cast

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from kernel import notices
from kernel.i18n import LANGUAGES, Language
from kernel.notices import Category
from resident_card.accounts.models import User
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD, create_resident
from tests.messages.support import notice
from tests.web.axe import assert_accessible
from tests.web.conftest import Account, Browser, access_token, sign_in, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
LOCALES = {"he": "he-IL", "ar": "ar-IL", "en": "en-GB"}


def _resident_with_messages(live_server: LiveServer) -> tuple[Account, uuid.UUID]:
    database = live_server.database
    with database.session() as session:
        resident = create_resident(session, database.settings, user=True, first_name="Rana")
        assert resident.user_id is not None
        user = session.get_one(User, resident.user_id)
        notices.post(session, notice(resident.user_id, 1, link="/wallet#card"))
        notices.post(session, notice(resident.user_id, 2, category=Category.cashback))
        session.commit()
        return Account(user.username, DEFAULT_PASSWORD), resident.user_id


def _before(page: Page, first: str, second: str) -> bool:
    return bool(
        page.evaluate(
            "([a, b]) => Boolean(document.getElementById(a).compareDocumentPosition("
            "document.getElementById(b)) & Node.DOCUMENT_POSITION_FOLLOWING)",
            [first, second],
        )
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_inbox_in_each_language_on_a_small_phone(
    browser: Browser, live_server: LiveServer, language: str
) -> None:
    words = texts(language)
    account, account_id = _resident_with_messages(live_server)
    page = browser.open("/", locale=LOCALES[language], viewport=SMALL_PHONE)
    sign_in(page, account, lands_on="/wallet")
    expect(page.locator("html")).to_have_attribute("lang", language)

    # The unread count at the top of the wallet, before the card; it leads to the inbox.
    unread = page.locator("#inbox-unread-link")
    expect(unread).to_have_text(words["inbox.unread"].format(count=2))
    assert _before(page, "inbox-unread", "card")
    expect(page.get_by_role("heading", name=words["inbox.heading"])).to_be_visible()
    titles = page.locator("#inbox-list .inbox-title")
    expect(titles).to_have_count(2)
    spoken = cast(Language, language)
    expect(titles).to_have_text([notice(account_id, n).title[spoken] for n in (2, 1)])
    expect(page.locator("#inbox-list .inbox-new")).to_have_count(2)

    # Opened with the keyboard: read, and counted so at once.
    unread.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-heading")).to_be_focused()
    newest = page.locator("#inbox-list summary").first
    newest.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#inbox-list .inbox-body").first).to_be_visible()
    expect(unread).to_have_text(words["inbox.unread_one"])
    expect(page.locator("#inbox-list .inbox-new")).to_have_count(1)

    # The categories: cashback turned off with the keyboard; residency stays on.
    page.locator("#inbox-preferences summary").focus()
    page.keyboard.press("Enter")
    cashback = page.get_by_role("checkbox", name=words["inbox.category.cashback"])
    expect(cashback).to_be_checked()
    cashback.focus()
    page.keyboard.press("Space")
    expect(page.locator("#inbox-preferences-status")).to_have_text(
        words["inbox.turned_off"].format(category=words["inbox.category.cashback"])
    )
    residency = page.get_by_role("checkbox", name=words["inbox.category.residency"])
    residency.focus()
    page.keyboard.press("Space")
    expect(residency).to_be_checked()
    expect(page.locator("#inbox-preferences-status")).to_have_text(words["inbox.always_explain"])

    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    token = access_token(page)
    answer = httpx.get(
        f"{live_server.base_url}/api/v1/messages/me/preferences",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.json()["cashback"] is False
    assert answer.json()["residency"] is True
