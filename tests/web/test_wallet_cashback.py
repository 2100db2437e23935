"""The wallet's cashback in he, ar and en: each purchase with its business and amounts, held or
spendable, the statement behind the balance with its entries, and no account code on the page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cashback.models import Purchase
from cashback.service import releases
from kernel.i18n import LANGUAGES
from resident_card.accounts.models import Role
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.web.axe import assert_accessible
from tests.web.cashback_support import open_shop
from tests.web.conftest import Account, Browser, choose_language, sign_in, texts

pytestmark = [pytest.mark.browser]
# A code as the ledger names things (cashback_receivable, parking_free_minutes): never read.
CODE = re.compile(r"[a-z]+_[a-z_]+")


def test_the_wallet_shows_what_the_resident_earned(
    browser: Browser, live_server: LiveServer
) -> None:
    shop = open_shop(live_server)
    database = live_server.database
    with database.session() as session:
        user = create_user(session, database.settings, role=Role.resident)
        # The shop merges its resident for each sale: the link is set on that very object.
        shop.resident.user_id = user.id
        session.merge(shop.resident)
        account = Account(user.username, DEFAULT_PASSWORD)
        session.commit()
    # The first purchase two weeks back, its return window over and released; the second held.
    shop.sell(20_000, "R-1")
    now = datetime.now(UTC)
    with database.session() as session:
        first = session.scalars(select(Purchase)).one()
        first.created_at = now - timedelta(days=15)
        first.available_at = now - timedelta(minutes=5)
        session.flush()
        assert releases.release_due_holds(session, now=now)
        session.commit()
    shop.sell(12_000, "R-2")

    page = browser.open("/", locale="he-IL")
    sign_in(page, account, lands_on="/wallet")
    section = page.locator("#cashback")
    expect(section).to_be_visible()
    for language in LANGUAGES:
        words = texts(language)
        choose_language(page, language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(section.get_by_role("heading", level=2)).to_have_text(
            words["wallet_cashback.heading"]
        )
        purchases = section.locator("#cashback-purchases li")
        expect(purchases).to_have_count(2)
        held, released = purchases.nth(0), purchases.nth(1)
        expect(held).to_have_attribute("data-state", "held")
        expect(held).to_contain_text("Café Hadar")
        expect(held).to_contain_text("120.00")
        expect(held).to_contain_text("12.00")
        expect(held).to_contain_text(words["wallet_cashback.held_until"].split("{")[0].strip())
        expect(released).to_have_attribute("data-state", "available")
        expect(released).to_contain_text("200.00")
        expect(released).to_contain_text(
            words["wallet_cashback.spendable_since"].split("{")[0].strip()
        )
        balances = section.locator("#cashback-balances")
        expect(balances.locator("[data-balance=available]")).to_contain_text("20.00")
        expect(balances.locator("[data-balance=pending]")).to_contain_text("12.00")

        toggle = section.locator("#cashback-statement-toggle")
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        entries = section.locator("#cashback-statement li")
        expect(entries).to_have_count(3)
        # Newest first: the first purchase's release (just now), the second purchase held, the
        # first purchase held two weeks back.
        expect(entries.nth(0)).to_have_attribute("data-kind", "released")
        expect(entries.nth(0)).to_contain_text("20.00")
        expect(entries.nth(1)).to_have_attribute("data-kind", "held")
        expect(entries.nth(1)).to_contain_text(
            words["wallet_cashback.entry.held"].format(business="Café Hadar")
        )
        expect(entries.nth(1)).to_contain_text("12.00")
        expect(entries.nth(2)).to_have_attribute("data-kind", "held")

        text = page.locator("body").inner_text()
        assert not CODE.search(text), CODE.findall(text)
        assert "cashback_receivable" not in page.content().split("<body")[1].split("<script")[0]
        assert_accessible(page)
