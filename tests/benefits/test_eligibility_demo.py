"""The demo: programmes loaded and this month's allowances granted, the same on every run; a month
already credited is not judged again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from benefits.eligibility.demo import load_demo
from benefits.eligibility.service.allowances import allowance_account
from benefits.eligibility.service.programmes import get_programme
from benefits.ledger.service.balances import get_balance
from kernel.settings import Settings
from tests.factories import create_resident

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)


def test_the_demo_loads_programmes_and_grants_this_months_allowances_once(
    session: Session, settings: Settings
) -> None:
    senior = create_resident(session, settings, now=NOW, date_of_birth=date(1951, 2, 2))
    create_resident(session, settings, status="pending", now=NOW)

    first = load_demo(session, settings, NOW)
    second = load_demo(session, settings, NOW)

    assert first[0].startswith("programmes: ")
    # Publishing the programmes' rules credited the month at once: the demo judges no one again.
    assert "parking_free_minutes 2026-12: already granted to 1" in first
    assert "senior_extra_parking 2026-12: already granted to 1" in first
    assert second[0] == "programmes: already there"
    assert "parking_free_minutes 2026-12: already granted to 1" in second
    for code, minutes in (("parking_free_minutes", 120), ("senior_extra_parking", 240)):
        programme = get_programme(session, code)
        account = allowance_account(session, programme, senior.id)
        assert get_balance(session, account.id, now=NOW).posted == minutes


def test_the_demo_credits_a_month_no_one_was_credited_for(
    session: Session, settings: Settings
) -> None:
    senior = create_resident(session, settings, now=NOW, date_of_birth=date(1951, 2, 2))
    load_demo(session, settings, NOW)
    # A new month: no grant of it yet, so the demo credits it (as the monthly job would).
    january = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    lines = load_demo(session, settings, january)
    assert "parking_free_minutes 2027-01: 1 granted, 0 already, 0 not eligible" in lines
    programme = get_programme(session, "parking_free_minutes")
    account = allowance_account(session, programme, senior.id)
    assert get_balance(session, account.id, now=january).posted == 240
