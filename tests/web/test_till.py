"""The till page: a business's staff records a purchase by typing the card code, sees the cashback
and why, in the language they chose; and only this page may ask for the camera."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select

from cashback.exceptions import TokenReplayed
from cashback.models import Purchase
from resident_card.credentials.service import Keyring
from tests.cashback.conftest import (
    card_holder,
    card_token,
    make_business,
    make_campaign,
    prepare_city,
)
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD
from tests.web.conftest import Account, Browser, sign_in, texts


@pytest.mark.browser
def test_the_till_records_a_purchase_and_shows_the_cashback(
    browser: Browser, live_server: LiveServer
) -> None:
    database = live_server.database
    now = datetime.now(UTC)
    with database.session() as session:
        prepare_city(session, database.settings, now)
        _merchant, staff = make_business(session, database.settings, now=now)
        make_campaign(session, now=now)
        resident = card_holder(session, database.settings)
        token = card_token(session, database.settings, Keyring(database.settings), resident, now)
        session.commit()
    english, arabic = texts("en"), texts("ar")
    page = browser.open("/", locale="en-GB")

    sign_in(page, Account(staff.username, DEFAULT_PASSWORD), lands_on="/till")

    expect(page.get_by_role("heading", level=1)).to_have_text(english["till.heading"])
    expect(page.locator("#business")).to_have_text("Business: Café Hadar")
    expect(page.locator("#nav-till")).to_be_visible()
    page.get_by_label(english["till.card_code"]).fill(token)
    page.get_by_label(english["till.amount"]).fill("120.50")
    page.get_by_label(english["till.receipt"]).fill("R-77")
    page.get_by_role("button", name=english["till.record"], exact=True).click()

    result = page.get_by_role("region", name=english["till.cashback_heading"])
    expect(result).to_be_visible()
    expect(result.locator(".figure")).to_have_text("₪12.05")
    expect(result).to_contain_text("Campaign: Cash back")
    expect(result).to_contain_text("10% of ₪120.50 under the campaign “Cash back”: ₪12.05.")
    expect(result).to_be_focused()
    with database.session() as session:
        stored = session.scalars(select(Purchase)).all()
        assert [(p.amount_agorot, p.receipt, p.cashback_agorot) for p in stored] == [
            (12_050, "R-77", 1_205)
        ]

    # In Arabic, right to left; the same code again is refused in Arabic.
    page.get_by_role("button", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=2)).to_have_text(arabic["till.cashback_heading"])
    page.get_by_role("button", name=arabic["till.next"]).click()
    expect(page.get_by_label(arabic["till.card_code"])).to_be_focused()
    page.get_by_label(arabic["till.card_code"]).fill(token)
    page.get_by_label(arabic["till.amount"]).fill("80")
    page.get_by_label(arabic["till.receipt"]).fill("R-78")
    page.get_by_role("button", name=arabic["till.record"], exact=True).click()
    expect(page.locator("#status")).to_have_text(TokenReplayed.message["ar"])
    with database.session() as session:
        assert len(session.scalars(select(Purchase)).all()) == 1


def test_only_the_till_may_ask_for_the_camera(client: TestClient) -> None:
    till = client.get("/till")
    wallet = client.get("/wallet")

    assert till.status_code == 200
    assert "camera=(self)" in till.headers["permissions-policy"]
    assert "camera=()" in wallet.headers["permissions-policy"]
    assert "camera=()" in client.get("/static/js/till.js").headers["permissions-policy"]
