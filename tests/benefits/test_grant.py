"""Monthly allowances: granted once per resident and month through the ledger, linked to the
decision behind them, and what is left unused taken back when the month is over."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import (
    InvalidPeriod,
    NoAllowance,
    PeriodNotOpen,
    PeriodNotOver,
    ProgrammeNotActive,
    ProgrammeNotFound,
)
from benefits.eligibility.models import AllowanceGrant, Decision
from benefits.eligibility.service.allowances import (
    ExpiryReport,
    GrantReport,
    allowance_account,
    expire_allowance,
    grant_allowance,
    issuance_account,
)
from benefits.eligibility.service.programme_files import load_programmes
from benefits.eligibility.service.programmes import get_programme, retire_programme
from benefits.ledger.models import Account, OwnerType, Transaction
from benefits.ledger.service.accounts import get_or_create_account
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from kernel.settings import Settings
from resident_card.residents.models import Resident
from tests.conftest import FreshDatabase
from tests.factories import create_resident
from toshav.cli import main
from toshav.settings import get_settings

ZONE = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
MINUTES = "parking_free_minutes"


def city_time(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def people(session: Session, settings: Settings) -> dict[str, Resident]:
    load_programmes(session, now=NOW, zone=ZONE)
    return {
        "verified": create_resident(session, settings, now=NOW),
        "pending": create_resident(session, settings, status="pending", now=NOW),
        "senior": create_resident(session, settings, now=NOW, date_of_birth=date(1950, 1, 1)),
    }


def grant(session: Session, now: datetime = NOW, period: str = "2026-12") -> GrantReport:
    return grant_allowance(session, programme_code=MINUTES, period=period, now=now, zone=ZONE)


def expire(session: Session, now: datetime, period: str = "2026-12") -> ExpiryReport:
    return expire_allowance(session, programme_code=MINUTES, period=period, now=now, zone=ZONE)


def account_of(session: Session, resident: Resident) -> Account:
    programme = get_programme(session, MINUTES)
    return allowance_account(session, programme, resident.id)


def balance(session: Session, resident: Resident, now: datetime) -> int:
    return get_balance(session, account_of(session, resident).id, now=now).posted


def spend(session: Session, resident: Resident, minutes: int, now: datetime) -> None:
    """Park: minutes leave the resident's account for the city's parking account."""
    parking = get_or_create_account(
        session,
        owner_type=OwnerType.city,
        owner_id=None,
        purpose="parking_used",
        unit="PARKING_MIN",
        allow_negative=True,
    )
    post_transaction(
        session,
        idempotency_key=f"park-{uuid.uuid4()}",
        kind="parking",
        postings=[
            PostingInput(account_of(session, resident).id, -minutes),
            PostingInput(parking.id, minutes),
        ],
        now=now,
    )


def test_every_eligible_resident_is_credited_once_even_when_run_twice(
    session: Session, people: dict[str, Resident]
) -> None:
    first = grant(session)
    second = grant(session, NOW + timedelta(hours=1))

    assert (first.granted, first.already_granted, first.not_eligible) == (2, 0, 1)
    assert (second.granted, second.already_granted, second.not_eligible) == (0, 2, 1)
    assert balance(session, people["verified"], NOW) == 120
    assert balance(session, people["senior"], NOW) == 120
    keys = session.scalars(
        select(Transaction.idempotency_key).where(Transaction.kind == "grant")
    ).all()
    assert sorted(keys) == sorted(
        f"grant:{MINUTES}:{people[who].id}:2026-12" for who in ("verified", "senior")
    )
    issuance = issuance_account(session, get_programme(session, MINUTES))
    assert (issuance.owner_type, issuance.allow_negative) == ("programme", True)
    assert get_balance(session, issuance.id, now=NOW).posted == -240


def test_each_credit_links_to_the_decision_that_caused_it(
    session: Session, people: dict[str, Resident]
) -> None:
    grant(session)

    resident = people["verified"]
    row = session.scalars(
        select(AllowanceGrant).where(AllowanceGrant.resident_id == resident.id)
    ).one()
    transaction = session.get(Transaction, row.transaction_id)
    decision = session.get(Decision, row.decision_id)
    assert transaction is not None
    assert decision is not None
    assert transaction.reference == f"decision:{decision.id}"
    assert decision.eligible
    assert decision.facts == {"residency_status": "verified"}
    assert decision.resident_id == resident.id
    assert (row.amount, row.unit, row.period) == (120, "PARKING_MIN", "2026-12")
    account = account_of(session, resident)
    assert (account.owner_type, account.purpose, account.allow_negative) == (
        "resident",
        MINUTES,
        False,
    )


def test_a_refused_resident_gets_no_credit_but_a_decision_saying_why(
    session: Session, people: dict[str, Resident]
) -> None:
    grant(session)

    refused = session.scalars(
        select(Decision).where(Decision.resident_id == people["pending"].id)
    ).one()
    assert not refused.eligible
    reason = refused.reason_list()[1]
    assert reason.text["en"] == (
        "Free parking minutes are only for residents whose residency has been verified; "
        "yours is: waiting for verification."
    )
    assert reason.expressed["en"] == "residency status waiting for verification = verified ✗"
    assert balance(session, people["pending"], NOW) == 0


def test_a_rerun_does_not_store_the_same_refusal_again_but_a_changed_one_it_does(
    session: Session, people: dict[str, Resident]
) -> None:
    resident = people["pending"]

    def refusals() -> int:
        return len(
            session.scalars(select(Decision).where(Decision.resident_id == resident.id)).all()
        )

    grant(session)
    grant(session, NOW + timedelta(hours=1))
    assert refusals() == 1
    resident.status = "suspended"
    session.flush()
    grant(session, NOW + timedelta(hours=2))
    assert refusals() == 2


def test_a_resident_verified_later_in_the_month_is_credited_on_the_next_run(
    session: Session, people: dict[str, Resident]
) -> None:
    grant(session)
    people["pending"].status = "verified"
    session.flush()

    report = grant(session, NOW + timedelta(days=2))

    assert (report.granted, report.already_granted) == (1, 2)
    assert balance(session, people["pending"], NOW + timedelta(days=2)) == 120


def test_the_senior_programme_grants_its_own_allowance(
    session: Session, people: dict[str, Resident]
) -> None:
    report = grant_allowance(
        session, programme_code="senior_extra_parking", period="2026-12", now=NOW, zone=ZONE
    )

    assert (report.granted, report.not_eligible, report.amount) == (1, 2, 240)
    programme = get_programme(session, "senior_extra_parking")
    senior_account = allowance_account(session, programme, people["senior"].id)
    assert get_balance(session, senior_account.id, now=NOW).posted == 240


@pytest.mark.usefixtures("people")
def test_a_grant_is_refused_outside_its_month_or_without_an_allowance(session: Session) -> None:
    with pytest.raises(PeriodNotOpen) as early:
        grant(session, period="2027-01")
    assert early.value.detail("en") == (
        "The allowance for 2027-01 is granted only during it (1 January 2027 – 1 February 2027)."
    )
    with pytest.raises(PeriodNotOpen):
        grant(session, period="2026-11")
    with pytest.raises(InvalidPeriod):
        grant(session, period="2026-12-01")
    with pytest.raises(NoAllowance):
        grant_allowance(
            session, programme_code="resident_parking_permit", period="2026-12", now=NOW
        )
    with pytest.raises(ProgrammeNotFound):
        grant_allowance(session, programme_code="nope", period="2026-12", now=NOW)
    retire_programme(session, MINUTES, actor_id=None, now=NOW)
    with pytest.raises(ProgrammeNotActive):
        grant(session, NOW + timedelta(minutes=1))


def test_the_month_begins_at_midnight_in_the_city(
    session: Session, people: dict[str, Resident]
) -> None:
    # 1 December 00:30 in Jerusalem is still 30 November in UTC.
    report = grant(session, city_time(2026, 12, 1, 0, 30))
    assert report.granted == 2
    with pytest.raises(PeriodNotOpen):
        grant(session, city_time(2026, 11, 30, 23, 59), period="2026-12")


# --- expiry ---------------------------------------------------------------------------------------


def test_what_is_unused_expires_at_the_end_of_the_month_once(
    session: Session, people: dict[str, Resident]
) -> None:
    grant(session)
    spend(session, people["verified"], 50, NOW + timedelta(days=1))
    after = city_time(2027, 1, 1, 0, 10)

    first = expire(session, after)
    second = expire(session, after + timedelta(hours=1))

    assert (first.expired, first.amount_expired, first.nothing_left) == (2, 70 + 120, 0)
    assert (second.expired, second.already_expired) == (0, 2)
    assert balance(session, people["verified"], after) == 0
    assert balance(session, people["senior"], after) == 0
    expiry = session.scalars(select(Transaction).where(Transaction.kind == "expiry")).all()
    assert len(expiry) == 2
    assert {t.effective_at for t in expiry} == {city_time(2027, 1, 1) - timedelta(microseconds=1)}
    assert all(t.reference and t.reference.startswith("decision:") for t in expiry)
    issuance = issuance_account(session, get_programme(session, MINUTES))
    assert get_balance(session, issuance.id, now=after).posted == -50


def test_expiry_takes_only_last_months_minutes_when_this_months_are_already_in(
    session: Session, people: dict[str, Resident]
) -> None:
    grant(session)
    spend(session, people["verified"], 50, NOW + timedelta(days=1))
    january = city_time(2027, 1, 1, 0, 5)
    grant(session, january, period="2027-01")  # January's grant ran before December's expiry

    expire(session, january + timedelta(minutes=5))

    assert balance(session, people["verified"], january + timedelta(minutes=10)) == 120
    assert balance(session, people["senior"], january + timedelta(minutes=10)) == 120


def test_expiry_never_takes_an_account_below_zero(
    session: Session, people: dict[str, Resident]
) -> None:
    grant(session)
    january = city_time(2027, 1, 1, 0, 5)
    grant(session, january, period="2027-01")
    spend(session, people["verified"], 230, january + timedelta(minutes=1))  # 240 in, 10 left

    report = expire(session, january + timedelta(minutes=5))

    assert balance(session, people["verified"], january + timedelta(minutes=10)) == 0
    assert report.amount_expired == 10 + 120
    row = session.scalars(
        select(AllowanceGrant).where(
            AllowanceGrant.resident_id == people["verified"].id, AllowanceGrant.period == "2026-12"
        )
    ).one()
    assert row.expired_amount == 10


def test_a_month_with_everything_used_expires_nothing(
    session: Session, people: dict[str, Resident]
) -> None:
    grant(session)
    spend(session, people["verified"], 120, NOW + timedelta(days=1))

    report = expire(session, city_time(2027, 1, 2))

    assert (report.expired, report.nothing_left) == (1, 1)


@pytest.mark.usefixtures("people")
def test_expiry_waits_for_the_end_of_the_month(session: Session) -> None:
    grant(session)
    with pytest.raises(PeriodNotOver) as raised:
        expire(session, city_time(2026, 12, 31, 23, 59))
    assert (
        raised.value.detail("en")
        == "The allowance for 2026-12 expires only at its end (1 January 2027)."
    )


# --- the commands ------------------------------------------------------------------------------------


@pytest.fixture
def command_env(fresh_database: FreshDatabase, tmp_path: Path) -> Iterator[dict[str, str]]:
    get_settings.cache_clear()
    yield {
        "TOSHAV_DATABASE_URL": fresh_database.url,
        "TOSHAV_VAR_DIR": str(tmp_path),
        "TOSHAV_ID_HASH_KEY": fresh_database.settings.id_hash_key.get_secret_value(),
    }
    get_settings.cache_clear()


def test_the_grant_command_credits_once_and_says_what_it_did(
    fresh_database: FreshDatabase, command_env: dict[str, str]
) -> None:
    real_now = datetime.now(UTC)
    this_month = real_now.astimezone(ZONE).strftime("%Y-%m")
    runner = CliRunner(env=command_env)
    # Rules first: published with residents on the roll, they would credit them at once.
    loaded = runner.invoke(main, ["rules", "load"])
    with fresh_database.session() as session:
        for status in ("verified", "verified", "pending"):
            create_resident(session, fresh_database.settings, status=status, now=real_now)
        session.commit()
    args = ["benefits", "grant", "--programme", MINUTES, "--period", this_month, "--language", "en"]
    first = runner.invoke(main, args)
    second = runner.invoke(main, args)

    assert loaded.exit_code == 0, loaded.output
    assert "+ parking_free_minutes" in loaded.output
    assert first.exit_code == 0, first.output
    assert (
        f"{MINUTES} {this_month}: 2 residents granted 120 PARKING_MIN; "
        "0 already granted; 1 not eligible"
    ) in first.stdout
    assert "granting" in first.stderr  # the progress bar
    assert "0 residents granted 120 PARKING_MIN; 2 already granted; 1 not eligible" in second.stdout
    with fresh_database.session() as session:
        grants = session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.kind == "grant")
        )
        assert grants == 2


def test_the_expire_command_refuses_a_month_not_over_and_is_idempotent(
    fresh_database: FreshDatabase, command_env: dict[str, str]
) -> None:
    local = datetime.now(UTC).astimezone(ZONE)
    this_month = local.strftime("%Y-%m")
    last_month = (local.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    runner = CliRunner(env=command_env)
    runner.invoke(main, ["rules", "load"])

    early = runner.invoke(
        main, ["benefits", "expire", "--programme", MINUTES, "--period", this_month]
    )
    done = runner.invoke(
        main,
        ["benefits", "expire", "--programme", MINUTES, "--period", last_month, "--language", "en"],
    )
    permit = runner.invoke(
        main,
        [
            "benefits",
            "grant",
            "--programme",
            "resident_parking_permit",
            "--period",
            this_month,
            "--language",
            "en",
        ],
    )

    assert early.exit_code == 1
    assert "פגה רק בסופה" in early.output  # Hebrew unless asked otherwise
    assert done.exit_code == 0, done.output
    assert f"{MINUTES} {last_month}: 0 PARKING_MIN expired from 0 residents" in done.output
    assert permit.exit_code == 1
    assert "The programme resident_parking_permit has no periodic allowance." in permit.output


RESIDENTS = 40


@pytest.mark.postgres_only
def test_two_grant_runs_at_once_still_credit_each_resident_once(
    fresh_database: FreshDatabase,
) -> None:
    with fresh_database.session() as session:
        load_programmes(session, now=NOW, zone=ZONE)
        programme = get_programme(session, MINUTES)
        issuance_account(session, programme)  # made now, so neither run waits on it
        for _ in range(RESIDENTS):
            resident = create_resident(session, fresh_database.settings, now=NOW)
            allowance_account(session, programme, resident.id)
        session.commit()
    barrier = threading.Barrier(2)
    reports: list[GrantReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with fresh_database.session() as session:
                barrier.wait()
                reports.append(grant(session))
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(report.granted for report in reports) == [0, RESIDENTS]
    with fresh_database.session() as session:
        credits = session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.kind == "grant")
        )
        assert credits == RESIDENTS
