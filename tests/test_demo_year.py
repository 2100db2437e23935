"""``toshav demo load --scale N``: a year of the city's activity, loaded once, reproducible from its
seed, that the ledger check finds whole; residents and businesses in every neighbourhood and the
cashback's activity in every month of the year."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from benefits.eligibility.models import AllowanceGrant
from benefits.eligibility.service.programmes import get_programme
from benefits.ledger.models import Posting, Transaction
from benefits.ledger.service.check import check_ledger
from cashback.models import Flag, Merchant, Purchase, Redemption, Refund, Settlement
from kernel.database import make_engine, make_sessionmaker
from parking.models import Inspection, ParkingSession, Permit
from resident_card.accounts.passwords import verify_password
from resident_card.accounts.repository import UserRepository
from resident_card.city import service as city
from resident_card.city.models import Neighbourhood
from resident_card.residents.models import Resident
from tests.conftest import Backend
from toshav.cli import main
from toshav.settings import get_settings
from toshav.year.calendar import the_year

SCALE = 150


@dataclass
class Loaded:
    engine: Engine
    first: Result
    again: Result
    before_again: dict[str, int]

    def session(self) -> Session:
        return make_sessionmaker(self.engine)()


def _load(
    backend: Backend, folder: Path, monkeypatch: pytest.MonkeyPatch, *, twice: bool
) -> tuple[str, list[Result], dict[str, int]]:
    url = backend.copy()
    monkeypatch.setenv("TOSHAV_DATABASE_URL", url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(folder))
    get_settings.cache_clear()
    runner = CliRunner()
    results = [runner.invoke(main, ["demo", "load", "--scale", str(SCALE)])]
    counted: dict[str, int] = {}
    if twice:
        engine = make_engine(url)
        with make_sessionmaker(engine)() as db:
            counted = _figures(db)
        engine.dispose()
        results.append(runner.invoke(main, ["demo", "load", "--scale", str(SCALE)]))
    get_settings.cache_clear()
    return url, results, counted


def _figures(db: Session) -> dict[str, int]:
    def count(model: type[object]) -> int:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)

    return {
        "residents": count(Resident),
        "merchants": count(Merchant),
        "purchases": count(Purchase),
        "purchased": int(db.scalar(select(func.sum(Purchase.amount_agorot))) or 0),
        "cashback": int(db.scalar(select(func.sum(Purchase.cashback_agorot))) or 0),
        "refunds": count(Refund),
        "redemptions": count(Redemption),
        "redeemed": int(db.scalar(select(func.sum(Redemption.amount_agorot))) or 0),
        "settlements": count(Settlement),
        "flags": count(Flag),
        "permits": count(Permit),
        "sessions": count(ParkingSession),
        "inspections": count(Inspection),
        "grants": count(AllowanceGrant),
        "transactions": count(Transaction),
        "postings": count(Posting),
    }


@pytest.fixture(scope="module")
def loaded(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Loaded, dict[str, int]]]:
    """The year loaded twice into one database, and once (same seed) into another."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        url, (first, again), before = _load(
            backend, tmp_path_factory.mktemp("year"), monkeypatch, twice=True
        )
        other_url, _, _ = _load(backend, tmp_path_factory.mktemp("other"), monkeypatch, twice=False)
    engine = make_engine(url)
    other = make_engine(other_url)
    with make_sessionmaker(other)() as db:
        same_seed = _figures(db)
    other.dispose()
    backend.drop(other_url)
    try:
        yield Loaded(engine, first, again, before), same_seed
    finally:
        engine.dispose()
        backend.drop(url)


def test_the_year_loads_once_and_the_ledger_is_whole(loaded: tuple[Loaded, dict[str, int]]) -> None:
    year, same_seed = loaded
    assert year.first.exit_code == 0, year.first.output
    assert f"{SCALE} residents" in year.first.output
    assert year.again.exit_code == 0, year.again.output
    assert "year: already there" in year.again.output
    with year.session() as db:
        figures = _figures(db)
        check = check_ledger(db)
    assert check.ok, check.violation
    assert figures == year.before_again  # the second run added nothing
    assert figures == same_seed  # the same seed, the same year
    assert figures["purchases"] > SCALE
    assert figures["refunds"]
    assert figures["redemptions"]
    assert figures["settlements"]


def test_every_neighbourhood_has_residents_and_businesses(
    loaded: tuple[Loaded, dict[str, int]],
) -> None:
    year, _ = loaded
    with year.session() as db:
        every = set(db.scalars(select(Neighbourhood.code)))
        lived_in = {
            found.code
            for resident in db.scalars(select(Resident))
            if (found := city.neighbourhood_for(db, resident.street_id, resident.house_number))
        }
        with_shops = set(
            db.scalars(
                select(Neighbourhood.code).join(
                    Merchant, Merchant.neighbourhood_id == Neighbourhood.id
                )
            )
        )
    assert lived_in == every
    assert with_shops == every


def test_each_month_of_the_year_has_its_activity(loaded: tuple[Loaded, dict[str, int]]) -> None:
    year, _ = loaded
    zone = ZoneInfo("Asia/Jerusalem")

    def months_of(moments: Iterable[datetime]) -> set[str]:
        return {m.astimezone(zone).strftime("%Y-%m") for m in moments}

    with year.session() as db:
        programme = get_programme(db, "cashback_resident")
        months = {
            m.label
            for m in the_year(datetime.now(UTC), zone, not_before=programme.active_from).months
        }
        kinds = {
            "enrolments": months_of(db.scalars(select(Resident.created_at))),
            "purchases": months_of(db.scalars(select(Purchase.created_at))),
            "grants": set(db.scalars(select(AllowanceGrant.period))),
            "sessions": months_of(db.scalars(select(ParkingSession.started_at))),
            "inspections": months_of(db.scalars(select(Inspection.at))),
            "settlements": set(db.scalars(select(Settlement.period))),
        }
        reasons = set(db.scalars(select(Inspection.reason)))
        permits = set(db.scalars(select(Permit.status)))
    for kind, seen in kinds.items():
        assert months <= seen, (kind, sorted(months - seen))
    assert {"valid_permit", "active_session", "wrong_zone", "unknown_vehicle"} <= reasons
    assert "granted" in permits


def test_a_generated_resident_signs_in_with_the_demo_password(
    loaded: tuple[Loaded, dict[str, int]],
) -> None:
    year, _ = loaded
    with year.session() as db:
        user = UserRepository(db).by_username("toshav000001")
        assert user is not None
        assert verify_password(get_settings().demo_password.get_secret_value(), user.password_hash)
