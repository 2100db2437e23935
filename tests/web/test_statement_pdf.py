"""The till offers each month's statement as a PDF beside the CSV, in a real Chromium: the file
downloaded is read back with pypdf and names the business, the month and the amounts."""

from __future__ import annotations

import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from cashback.service.statement_pdf import MONTHS
from tests.conftest import LiveServer
from tests.factories import DEFAULT_PASSWORD
from tests.web.cashback_support import open_shop
from tests.web.conftest import Account, Browser, sign_in, texts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("city")]


def test_the_till_downloads_the_month_so_far_as_a_pdf(
    browser: Browser, live_server: LiveServer
) -> None:
    shop = open_shop(live_server)
    shop.sell(20_000, "R-1")
    city_today = shop.opened_at.astimezone(ZoneInfo(live_server.database.settings.city_time_zone))
    this_month = city_today.strftime("%Y-%m")
    english = texts("en")
    page = browser.open("/", locale="en-GB")
    sign_in(page, Account(shop.staff.username, DEFAULT_PASSWORD), lands_on="/till")

    statements = page.get_by_role("region", name=english["till.statements_heading"])
    month_so_far = statements.get_by_role("listitem").first
    month_name = f"{MONTHS['en'][city_today.month - 1]} {city_today.year}"
    expect(month_so_far).to_contain_text(f"{month_name} so far (provisional)")
    with page.expect_download() as downloading:
        month_so_far.get_by_role("button", name=english["till.statement_pdf"]).click()
    download = downloading.value
    assert download.suggested_filename == f"statement-{this_month}.pdf"
    content = Path(download.path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Café Hadar, registry number" in text
    assert f"Month: {month_name}" in text
    assert "Provisional: the month so far" in text
    assert "Purchases: 1, totalling ₪200.00" in text
    assert "Purchase R-1 ₪200.00 ₪20.00 ₪0.00" in text
