"""The till page: a business's staff records a purchase by typing the card code, sees the cashback
and why, in the language they chose; and only this page may ask for the camera."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy import select

from cashback.exceptions import TokenReplayed
from cashback.models import Purchase, Refund
from cashback.service import settlement
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD
from tests.web.cashback_support import open_shop
from tests.web.conftest import Account, Browser, choose_language, sign_in, texts


@pytest.mark.browser
def test_the_till_records_a_purchase_and_shows_the_cashback(
    browser: Browser, live_server: LiveServer
) -> None:
    database = live_server.database
    shop = open_shop(live_server)
    staff, token = shop.staff, shop.card_token()
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
    choose_language(page, "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#result-heading")).to_have_text(arabic["till.cashback_heading"])
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


@pytest.mark.browser
def test_the_till_refunds_part_of_a_purchase_and_offers_the_months_statement(
    browser: Browser, live_server: LiveServer
) -> None:
    database = live_server.database
    shop = open_shop(live_server)
    staff, now = shop.staff, shop.opened_at
    shop.sell(20_000, "R-1")
    with database.session() as session:
        # Last month is over: the city settles it (nothing was sold then, so nothing is owed).
        city_today = now.astimezone(ZoneInfo(database.settings.city_time_zone)).date()
        last_day = city_today.replace(day=1) - timedelta(days=1)
        last_month = last_day.strftime("%Y-%m")
        settlement.settle(session, database.settings, period_label=last_month, now=now)
        session.commit()
    english = texts("en")
    page = browser.open("/", locale="en-GB")
    sign_in(page, Account(staff.username, DEFAULT_PASSWORD), lands_on="/till")

    sales = page.get_by_role("region", name=english["till.sales_heading"])
    expect(sales).to_contain_text("Receipt R-1: ₪200.00, cashback ₪20.00")
    sales.get_by_role("button", name="Refund receipt R-1").click()
    refund = page.get_by_role("region", name=english["till.refund_heading"])
    expect(refund).to_be_focused()
    expect(refund).to_contain_text("Receipt R-1, paid ₪200.00.")
    amount = refund.get_by_label(english["till.refund_amount"])
    expect(amount).to_have_value("200.00")  # the whole purchase, unless the staff says less
    amount.fill("50")
    refund.get_by_label(english["till.refund_receipt"]).fill("RF-1")
    refund.get_by_role("button", name=english["till.refund_confirm"]).click()

    expect(page.locator("#status")).to_have_text(
        "Refunded ₪50.00; ₪5.00 of cashback was taken back."
    )
    expect(refund).to_be_hidden()
    expect(sales).to_contain_text("refunded ₪50.00")
    with database.session() as session:
        stored = session.scalars(select(Refund)).all()
        assert [(r.amount_agorot, r.receipt, r.cashback_taken_back_agorot) for r in stored] == [
            (5_000, "RF-1", 500)
        ]

    # More than is left to refund is refused before anything is sent.
    sales.get_by_role("button", name="Refund receipt R-1").click()
    expect(amount).to_have_value("150.00")
    amount.fill("150.01")
    refund.get_by_role("button", name=english["till.refund_confirm"]).click()
    expect(page.locator("#status")).to_have_text("Write an amount from ₪0.01 up to ₪150.00.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    refund.get_by_role("button", name=english["till.refund_cancel"]).click()
    with database.session() as session:
        assert len(session.scalars(select(Refund)).all()) == 1

    # Last month's statement, as the business downloads it.
    statements = page.get_by_role("region", name=english["till.statements_heading"])
    # A month as a person says it ("December 2026"), never its code.
    this_month_named, last_month_named = city_today.strftime("%B %Y"), last_day.strftime("%B %Y")
    # The month under way first, provisional: the purchase less its refund, nothing owed yet.
    expect(statements.get_by_role("listitem").first).to_contain_text(
        f"{this_month_named} so far (provisional): the city owes ₪0.00"
    )
    # Counted as the language counts: one purchase, not "1 purchases".
    expect(statements.get_by_role("listitem").first).to_contain_text(
        "1 purchase, ₪20.00 cashback, 0 payments with cashback"
    )
    this_month = page.locator("#statements-list > li").first
    choose_language(page, "he")
    expect(this_month).to_contain_text("רכישה אחת")
    choose_language(page, "ar")
    expect(this_month).to_contain_text("عملية شراء واحدة")
    choose_language(page, "en")
    expect(statements).to_contain_text(f"{last_month_named}: the city paid ₪0.00")
    settled = statements.get_by_role("listitem").filter(
        has_text=f"{last_month_named}: the city paid"
    )
    with page.expect_download() as downloading:
        settled.get_by_role("button", name=english["till.statement_csv"]).click()
    download = downloading.value
    assert download.suggested_filename == f"statement-{last_month}.csv"
    downloaded = Path(download.path()).read_bytes()
    assert downloaded.startswith(b"\xef\xbb\xbf")  # UTF-8 that a spreadsheet reads as such
    rows = list(csv.reader(downloaded.decode("utf-8-sig").splitlines()))
    assert rows[0][:4] == ["Month", "Registry number", "Business", "Kind"]
    assert rows[-1][0] == last_month
    assert rows[-1][3] == "Total"
