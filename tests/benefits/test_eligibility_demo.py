"""The demo: programmes loaded and this month's allowances granted, the same on every run."""

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
    # Publishing the programmes' rules credited the month at once; the demo's grant adds nothing.
    assert "parking_free_minutes 2026-12: 0 granted, 1 already, 1 not eligible" in first
    assert "senior_extra_parking 2026-12: 0 granted, 1 already, 1 not eligible" in first
    assert second[0] == "programmes: already there"
    assert "parking_free_minutes 2026-12: 0 granted, 1 already, 1 not eligible" in second
    for code, minutes in (("parking_free_minutes", 120), ("senior_extra_parking", 240)):
        programme = get_programme(session, code)
        account = allowance_account(session, programme, senior.id)
        assert get_balance(session, account.id, now=NOW).posted == minutes
