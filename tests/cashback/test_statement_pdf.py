"""A month's statement as a PDF beside the CSV: in the business's language (Hebrew and Arabic
shaped, right to left), provisional for the month under way and final once settled, shekels with
two decimals. Read back with pypdf, as a person's PDF reader would show its text."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from cashback.service import settlement
from cashback.service.statement_pdf import MONTHS
from kernel.clock import SetClock
from tests.cashback.conftest import Shop
from tests.factories import auth_headers


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def months(shop: Shop, clock: SetClock) -> tuple[str, str]:
    today = clock.now().astimezone(ZoneInfo(shop.settings.city_time_zone)).date()
    return today.strftime("%Y-%m"), (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def sell(client: TestClient, shop: Shop, clock: SetClock, headers: dict[str, str]) -> None:
    answer = client.post(
        "/api/v1/cashback/purchases",
        json={"card_token": shop.token(clock.now()), "amount_agorot": 20_000, "receipt": "R-1"},
        headers={**headers, "Idempotency-Key": "sale-r-1"},
    )
    assert answer.status_code == 201, answer.text
    clock.advance(minutes=5)  # the month so far runs up to now


def test_the_month_so_far_in_english_names_the_business_the_month_and_the_amounts(
    client: TestClient, app: FastAPI, shop: Shop, clock: SetClock
) -> None:
    headers = auth_headers(app, shop.staff)
    sell(client, shop, clock, headers)
    this_month, _ = months(shop, clock)

    answer = client.get(
        f"/api/v1/cashback/merchants/me/statements/{this_month}/pdf",
        headers={**headers, "Accept-Language": "en"},
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    text = pdf_text(answer.content)
    year, month = this_month.split("-")
    assert f"{shop.merchant.name}, registry number {shop.merchant.registry_number}" in text
    assert f"Month: {MONTHS['en'][int(month) - 1]} {year}" in text
    assert "Provisional: the month so far" in text
    assert "Purchases: 1, totalling ₪200.00" in text
    assert "Cashback to residents: ₪20.00" in text
    assert "Purchase R-1 ₪200.00 ₪20.00 ₪0.00" in text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("he", ("דוח חודשי", "זמני", "רכישה", "200.00", "20.00")),
        ("ar", ("كشف شهري", "مؤقت", "شراء", "200.00", "20.00")),
    ],
    ids=["he", "ar"],
)
def test_hebrew_and_arabic_are_written_as_their_letters(
    client: TestClient,
    app: FastAPI,
    shop: Shop,
    clock: SetClock,
    language: str,
    words: tuple[str, ...],
) -> None:
    headers = auth_headers(app, shop.staff)
    sell(client, shop, clock, headers)
    this_month, _ = months(shop, clock)

    answer = client.get(
        f"/api/v1/cashback/merchants/me/statements/{this_month}/pdf",
        headers={**headers, "Accept-Language": language},
    )

    assert answer.status_code == 200
    text = pdf_text(answer.content)
    for word in words:
        assert word in text, (word, text)
    assert "purchase" not in text  # the record's code words are not shown


def test_a_settled_month_says_final(
    client: TestClient, app: FastAPI, shop: Shop, clock: SetClock
) -> None:
    _, last_month = months(shop, clock)
    settlement.settle(shop.session, shop.settings, period_label=last_month, now=clock.now())

    answer = client.get(
        f"/api/v1/cashback/merchants/me/statements/{last_month}/pdf",
        headers={**auth_headers(app, shop.staff), "Accept-Language": "en"},
    )

    assert answer.status_code == 200, answer.text
    text = pdf_text(answer.content)
    assert "Final: the month is over and the city paid" in text
    assert "The city paid: ₪0.00" in text
    assert "No purchases this month." in text


def test_a_month_with_no_statement_and_another_business_are_refused(
    client: TestClient, app: FastAPI, shop: Shop
) -> None:
    headers = auth_headers(app, shop.staff)
    future = client.get("/api/v1/cashback/merchants/me/statements/2999-01/pdf", headers=headers)
    assert (future.status_code, future.json()["error"]) == (404, "statement_not_found")
    bad = client.get("/api/v1/cashback/merchants/me/statements/2026-13x/pdf", headers=headers)
    assert bad.status_code == 422
