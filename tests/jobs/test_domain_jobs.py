"""The domains' jobs, run by a worker: the monthly grant gives a verified resident their free
minutes without any command; the nightly ledger check fails on an unbalanced ledger; the ledger's
holds and cashback are released; and ``toshav worker --once`` runs what is due end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from sqlalchemy.orm import Session

from benefits.eligibility.service.allowances import allowance_account
from benefits.eligibility.service.programme_files import load_programmes
from benefits.eligibility.service.programmes import get_programme
from benefits.eligibility.tasks import MONTHLY_EXPIRY, MONTHLY_GRANT
from benefits.ledger.models import Account, OwnerType
from benefits.ledger.service.accounts import get_or_create_account
from benefits.ledger.service.balances import get_balance
from benefits.ledger.tasks import LEDGER_CHECK
from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.residents.models import Resident
from tests.conftest import FreshDatabase
from tests.factories import create_resident
from tests.jobs.conftest import runs_of, worker_in
from toshav.cli import main
from toshav.settings import get_settings

ZONE = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
MINUTES = "parking_free_minutes"


def minutes_of(session: Session, resident: Resident, now: datetime) -> int:
    account = allowance_account(session, get_programme(session, MINUTES), resident.id)
    return get_balance(session, account.id, now=now).posted


def test_the_monthly_grant_gives_a_verified_resident_their_free_minutes(
    session: Session, settings: Settings
) -> None:
    load_programmes(session, now=NOW - timedelta(days=30), zone=ZONE)
    verified = create_resident(session, settings, now=NOW - timedelta(days=20))
    pending = create_resident(session, settings, status="pending", now=NOW - timedelta(days=20))
    clock = SetClock(NOW)
    worker = worker_in(session, settings, clock, [MONTHLY_GRANT, MONTHLY_EXPIRY])

    done = {o.name: o for o in worker.tick()}

    grant = done[MONTHLY_GRANT.name]
    assert (grant.period_key, grant.status) == ("2026-12", "succeeded")
    assert grant.counts["granted"] >= 1
    assert grant.counts["not_eligible"] >= 1
    assert minutes_of(session, verified, NOW) == 120
    assert minutes_of(session, pending, NOW) == 0
    assert worker.tick() == []  # once a month
    (run,) = runs_of(session, MONTHLY_GRANT.name)
    assert run.counts == dict(grant.counts)

    # The next month: its own grant, and what was left of December expired.
    clock.advance(days=25)
    done = {o.name: o for o in worker.tick()}
    assert done[MONTHLY_GRANT.name].period_key == "2027-01"
    assert done[MONTHLY_EXPIRY.name].counts["expired"] >= 1
    assert minutes_of(session, verified, clock.now()) == 120


def test_an_unbalanced_ledger_fails_the_nightly_check_saying_why(
    session: Session, settings: Settings
) -> None:
    load_programmes(session, now=NOW - timedelta(days=30), zone=ZONE)
    create_resident(session, settings, now=NOW - timedelta(days=20))
    clock = SetClock(NOW)
    worker = worker_in(session, settings, clock, [MONTHLY_GRANT, LEDGER_CHECK])
    worker.tick()
    # A cached balance that no longer matches its postings.
    session.execute(update(Account).values(balance=Account.balance + 7))

    clock.advance(days=1)
    (check,) = [o for o in worker.tick() if o.name == LEDGER_CHECK.name]

    assert (check.status, check.attempt) == ("retrying", 1)
    assert check.error is not None
    assert check.error.startswith("LedgerNotSound: ")
    assert "differs from the sum of its postings" in check.error


@pytest.fixture
def toshav(
    fresh_database: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("TOSHAV_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_worker_command_runs_what_is_due_once_end_to_end(
    toshav: CliRunner, fresh_database: FreshDatabase
) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        load_programmes(session, now=now - timedelta(days=400), zone=ZONE)
        resident = create_resident(session, fresh_database.settings, now=now - timedelta(days=2))
        session.commit()

    first = toshav.invoke(main, ["worker", "--once"])

    assert first.exit_code == 0, first.output
    month = now.astimezone(ZONE).strftime("%Y-%m")
    assert f"benefits.monthly_grant {month} succeeded: programmes " in first.output
    for name in (
        "benefits.monthly_expiry",
        "benefits.expire_holds",
        "benefits.ledger_check",
        "cashback.release_holds",
        "cashback.monthly_settlement",
        "parking.reconcile_permits",
        "parking.apply_retention",
        "figures.publish_open_data",
        "benefits.roll_up_uptake",
    ):
        assert f"{name} " in first.output
    with fresh_database.session() as session:
        assert minutes_of(session, resident, datetime.now(UTC)) == 120
        (run,) = runs_of(session, "benefits.monthly_grant")
        assert (run.period_key, run.status, run.worker) == (month, "succeeded", run.worker)
        assert run.counts is not None
        assert run.counts["granted"] >= 1

    again = toshav.invoke(main, ["worker", "--once"])
    assert again.exit_code == 0, again.output
    assert "benefits.monthly_grant" not in again.output  # done for the month


def test_the_worker_stops_cleanly_on_sigterm(fresh_database: FreshDatabase, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "TOSHAV_DATABASE_URL": fresh_database.url,
        "TOSHAV_VAR_DIR": str(tmp_path),
        "TOSHAV_WORKER_TICK_SECONDS": "0.2",
    }
    toshav = Path(sys.executable).parent / "toshav"
    worker = subprocess.Popen(  # noqa: S603 - our own command, our own arguments
        [str(toshav), "worker"], env=environment, stderr=subprocess.PIPE, text=True
    )
    try:
        # However slow the machine, the signal comes once the worker is running its jobs.
        deadline = time.monotonic() + 120
        started = False
        while not started and time.monotonic() < deadline and worker.poll() is None:
            with fresh_database.session() as session:
                started = bool(runs_of(session, "benefits.ledger_check"))
            time.sleep(0.1)
        assert started, "the worker ran no job"
        worker.send_signal(signal.SIGTERM)
        _out, errors = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, errors
    assert "worker stopping (SIGTERM)" in errors
    assert "worker stopped" in errors


def test_the_worker_command_fails_when_the_ledger_does_not_balance(
    toshav: CliRunner, fresh_database: FreshDatabase
) -> None:
    with fresh_database.session() as session:
        account = get_or_create_account(
            session, owner_type=OwnerType.city, owner_id=None, purpose="test", unit="ILS"
        )
        account.balance = 500  # a cache no posting explains
        session.commit()

    result = toshav.invoke(main, ["worker", "--once"])

    assert result.exit_code == 1, result.output
    # The night's check runs for the day its 03:00 began: before 03:00, the day before.
    day, _start = LEDGER_CHECK.cadence.period(datetime.now(UTC).astimezone(ZONE))
    assert f"benefits.ledger_check {day} retrying" in result.output
    assert "LedgerNotSound: " in result.output
    assert "the cached balance 500 differs from the sum of its postings 0" in result.output
    with fresh_database.session() as session:
        (run,) = runs_of(session, "benefits.ledger_check")
        assert (run.status, run.attempt) == ("retrying", 1)
        assert run.error is not None
        assert "differs from the sum of its postings" in run.error
