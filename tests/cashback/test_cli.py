"""``toshav cashback release-holds`` and ``toshav cashback settle --period``: run as a clerk would,
against a database of their own; statements on disk and on the business's API."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from benefits.eligibility.service.city_clock import city_zone
from benefits.ledger.models import OwnerType, Transaction
from benefits.ledger.service.accounts import accounts_of_owner
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.check import check_ledger
from cashback.models import Merchant, Settlement
from cashback.repository.purchases import PurchaseRepository
from cashback.service import accounts, campaigns, purchases, redemptions, refunds, wallets
from resident_card.accounts.models import User
from resident_card.credentials.service import Keyring
from resident_card.residents.models import Resident
from tests.cashback.conftest import (
    card_holder,
    card_token,
    count,
    make_business,
    make_campaign,
    prepare_city,
)
from tests.conftest import FreshDatabase
from tests.factories import auth_headers
from toshav.app import create_app
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

OCTOBER = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def toshav(
    fresh_database: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("TOSHAV_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@dataclass
class October:
    merchant: Merchant
    staff: User
    quiet: Merchant
    resident: Resident


def keyed(database: FreshDatabase) -> Keyring:
    return Keyring(database.settings)


def buy(database: FreshDatabase, world: October, amount: int, at: datetime, key: str) -> None:
    with database.session() as session:
        resident = session.get(Resident, world.resident.id)
        assert resident is not None
        token = card_token(session, database.settings, keyed(database), resident, at)
        purchases.record_purchase(
            session,
            database.settings,
            staff_user_id=world.staff.id,
            idempotency_key=key,
            card_token=token,
            amount_agorot=amount,
            receipt=key,
            now=at,
        )
        session.commit()


@pytest.fixture
def october(fresh_database: FreshDatabase) -> October:
    """A month of trade at one business (another has none): purchases, a refund, a redemption."""
    settings = fresh_database.settings
    with fresh_database.session() as session:
        start = OCTOBER - timedelta(days=2)
        prepare_city(session, settings, start)
        merchant, staff = make_business(session, settings, now=start)
        quiet, _ = make_business(session, settings, now=start, house_number=31, name="Quiet books")
        make_campaign(session, now=start - timedelta(days=1))
        resident = card_holder(session, settings, now=start - timedelta(days=30))
        session.commit()
    world = October(merchant, staff, quiet, resident)
    buy(fresh_database, world, 30_000, OCTOBER, "oct-1")
    buy(fresh_database, world, 12_345, OCTOBER + timedelta(days=1), "oct-2")
    with fresh_database.session() as session:
        purchase = PurchaseRepository(session).purchase_by_key(merchant.id, "oct-2")
        assert purchase is not None
        refunds.refund_purchase(
            session,
            staff_user_id=staff.id,
            purchase_id=purchase.id,
            amount_agorot=2_345,
            receipt="ret-oct-2",
            idempotency_key=None,
            now=OCTOBER + timedelta(days=2),
        )
        at = OCTOBER + timedelta(days=20)
        holder = session.get(Resident, resident.id)
        assert holder is not None
        redemptions.redeem(
            session,
            settings,
            staff_user_id=staff.id,
            idempotency_key="pay-oct",
            card_token=card_token(session, settings, keyed(fresh_database), holder, at),
            amount_agorot=2_500,
            receipt="till-77",
            now=at,
        )
        session.commit()
    return world


def test_settling_a_month_pays_each_business_and_writes_its_statement(
    toshav: CliRunner, fresh_database: FreshDatabase, october: October, tmp_path: Path
) -> None:
    result = toshav.invoke(main, ["cashback", "settle", "--period", "2026-10", "--lang", "en"])

    assert result.exit_code == 0, result.output
    assert "Café Hadar" in result.output
    assert "2 purchases, paid ₪25.00" in result.output
    assert "Quiet books" in result.output
    path = (
        tmp_path / "cashback" / "statements" / "2026-10" / f"{october.merchant.registry_number}.csv"
    )
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [
        (r["kind"], r["amount_agorot"], r["cashback_agorot"], r["owed_agorot"]) for r in rows
    ] == [
        ("purchase", "30000", "3000", "0"),
        ("purchase", "12345", "1234", "0"),
        ("refund", "-2345", "-234", "0"),
        ("redemption", "2500", "0", "2500"),
        ("total", "40000", "4000", "2500"),
    ]
    with fresh_database.session() as session:
        owed = accounts.owed_account(session, october.merchant.id)
        assert get_balance(session, owed.id, now=datetime.now(UTC)).posted == 0
        payouts = [
            a
            for a in accounts_of_owner(session, OwnerType.city, None)
            if a.purpose == accounts.PAYOUTS
        ]
        assert [get_balance(session, a.id, now=datetime.now(UTC)).posted for a in payouts] == [
            2_500
        ]
        assert check_ledger(session).ok
        transactions = count(session, Transaction)
        settlements = count(session, Settlement)

    again = toshav.invoke(main, ["cashback", "settle", "--period", "2026-10", "--lang", "en"])

    assert again.exit_code == 0, again.output
    assert "already settled (₪25.00)" in again.output
    with fresh_database.session() as session:
        assert count(session, Transaction) == transactions
        assert count(session, Settlement) == settlements == 2


def test_the_business_reads_its_statement_on_the_api(
    toshav: CliRunner, fresh_database: FreshDatabase, october: October
) -> None:
    assert toshav.invoke(main, ["cashback", "settle", "--period", "2026-10"]).exit_code == 0
    app = create_app(fresh_database.settings)
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        headers = auth_headers(app, october.staff)
        listed = client.get("/api/v1/cashback/merchants/me/statements", headers=headers).json()
        detail = client.get("/api/v1/cashback/merchants/me/statements/2026-10", headers=headers)
        as_csv = client.get("/api/v1/cashback/merchants/me/statements/2026-10/csv", headers=headers)
        # A month over before the business joined has no statement.
        missing = client.get("/api/v1/cashback/merchants/me/statements/2026-08", headers=headers)
        malformed = client.get("/api/v1/cashback/merchants/me/statements/oct", headers=headers)

    # The month under way comes first, provisional; then the settled month.
    assert listed[0]["final"] is False
    assert listed[0]["period"] > "2026-10"
    assert [(s["period"], s["purchases"], s["paid_agorot"]) for s in listed if s["final"]] == [
        ("2026-10", 2, 2_500)
    ]
    assert detail.json()["lines"][-1]["kind"] == "total"
    assert as_csv.headers["content-type"].startswith("text/csv")
    # As a spreadsheet opens it: a byte-order mark, English headers for an English request,
    # shekels beside agorot; the stored record keeps its codes and agorot.
    assert as_csv.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Month", "Registry number", "Business", "Kind"]
    assert rows[0][6:8] == ["Amount (₪)", "Amount (agorot)"]
    assert rows[-1][3] == "Total"
    assert rows[-1][10:12] == ["25.00", "2500"]
    assert missing.status_code == 404
    assert missing.json()["error"] == "statement_not_found"
    assert malformed.status_code == 422


@pytest.mark.parametrize(
    ("period", "words"),
    [("this month", "is not over yet"), ("2026-13", "YYYY-MM"), ("soon", "YYYY-MM")],
)
def test_a_month_not_over_or_not_a_month_is_refused(
    toshav: CliRunner, fresh_database: FreshDatabase, period: str, words: str
) -> None:
    if period == "this month":  # the month it is now in the city, whatever day the suite runs
        period = datetime.now(city_zone()).strftime("%Y-%m")
    result = toshav.invoke(main, ["cashback", "settle", "--period", period, "--lang", "en"])

    assert result.exit_code != 0
    assert words in result.output
    with fresh_database.session() as session:
        assert count(session, Settlement) == 0


def test_release_holds_makes_cashback_past_its_window_available(
    toshav: CliRunner, fresh_database: FreshDatabase
) -> None:
    settings = fresh_database.settings
    then = datetime.now(UTC) - timedelta(days=settings.cashback_return_window_days + 1)
    with fresh_database.session() as session:
        prepare_city(session, settings, then)
        merchant, staff = make_business(session, settings, now=then)
        make_campaign(session, now=then)
        resident = card_holder(session, settings, now=then - timedelta(days=1))
        session.commit()
    world = October(merchant, staff, merchant, resident)
    buy(fresh_database, world, 8_000, then, "old")
    buy(fresh_database, world, 9_000, datetime.now(UTC) - timedelta(minutes=1), "new")

    result = toshav.invoke(main, ["cashback", "release-holds", "--lang", "en"])

    assert result.exit_code == 0, result.output
    assert "Released 1 cashback holds (₪8.00)" in result.output
    with fresh_database.session() as session:
        view = wallets.wallet_view(session, resident.id, now=datetime.now(UTC))
        assert (view.available_agorot, view.pending_agorot) == (800, 900)
        assert check_ledger(session).ok
    assert "Released 0" in toshav.invoke(main, ["cashback", "release-holds", "--lang", "en"]).output


def test_release_holds_returns_what_came_back_to_an_ended_campaign(
    toshav: CliRunner, fresh_database: FreshDatabase
) -> None:
    settings = fresh_database.settings
    now = datetime.now(UTC)
    then = now - timedelta(hours=2)
    with fresh_database.session() as session:
        prepare_city(session, settings, then)
        merchant, staff = make_business(session, settings, now=then)
        campaign = make_campaign(session, now=then, budget=50_000)
        resident = card_holder(session, settings, now=then - timedelta(days=1))
        session.commit()
    world = October(merchant, staff, merchant, resident)
    buy(fresh_database, world, 8_000, then, "kept")
    buy(fresh_database, world, 6_000, then + timedelta(minutes=1), "returned")
    with fresh_database.session() as session:
        ended = campaigns.end_campaign(
            session, campaign.id, reason="test", actor_id=staff.id, now=now - timedelta(hours=1)
        )
        assert ended.returned_agorot == 50_000 - 1_400
        returned = PurchaseRepository(session).purchase_by_key(merchant.id, "returned")
        assert returned is not None
        refunds.refund_purchase(
            session,
            staff_user_id=staff.id,
            purchase_id=returned.id,
            amount_agorot=6_000,
            receipt=None,
            idempotency_key="r",
            now=now - timedelta(minutes=30),
        )
        session.commit()

    result = toshav.invoke(main, ["cashback", "release-holds", "--lang", "en"])

    assert result.exit_code == 0, result.output
    assert "Returned ₪6.00 to the city from the budgets of ended campaigns (1)." in result.output
    with fresh_database.session() as session:
        budget = campaigns.budget_of(session, campaign, now=datetime.now(UTC))
        assert (budget.available, budget.reserved) == (0, 800)
        assert check_ledger(session).ok
    again = toshav.invoke(main, ["cashback", "release-holds", "--lang", "en"]).output
    assert "Returned" not in again


def test_the_month_so_far_is_a_provisional_statement_until_it_is_settled(
    toshav: CliRunner, fresh_database: FreshDatabase, october: October
) -> None:
    """Before `settle`, October reads as it stands, marked provisional, and nothing is written;
    after it, the same figures are final."""
    app = create_app(fresh_database.settings)
    with TestClient(app, headers={"Accept-Language": "he"}) as client:
        headers = auth_headers(app, october.staff)
        before = client.get("/api/v1/cashback/merchants/me/statements/2026-10", headers=headers)
        as_csv = client.get("/api/v1/cashback/merchants/me/statements/2026-10/csv", headers=headers)
        with fresh_database.session() as session:
            assert session.scalars(select(Settlement)).all() == []
        assert toshav.invoke(main, ["cashback", "settle", "--period", "2026-10"]).exit_code == 0
        after = client.get("/api/v1/cashback/merchants/me/statements/2026-10", headers=headers)
        to_come = client.get("/api/v1/cashback/merchants/me/statements/2099-01", headers=headers)

    assert before.status_code == 200
    assert before.json()["final"] is False
    assert after.json()["final"] is True
    figures = ("purchases", "purchases_agorot", "cashback_agorot", "paid_agorot")
    assert [before.json()[f] for f in figures] == [after.json()[f] for f in figures]
    assert before.json()["lines"] == after.json()["lines"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["חודש", "מספר רישום", "עסק", "סוג"]
    assert to_come.status_code == 404
