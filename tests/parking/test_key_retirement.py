"""Retiring a signing key strands no one: ``toshav keys retire`` refuses while unexpired passes it
signed exist, and ``--reissue`` signs them afresh under the current key first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from benefits.eligibility.service.programme_files import load_programmes
from parking.models import ParkingPass, Permit, VehicleRelation
from parking.offline import Reason, judge_pass
from parking.service import permits, vehicles, zones
from resident_card.city.service import load_city, street_by_code
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import token_kid
from resident_card.credentials.models import SigningKey
from resident_card.credentials.service import Keyring
from resident_card.residents.models import Resident
from tests.conftest import FreshDatabase
from tests.factories import create_resident
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others


@pytest.fixture
def runner(toshav: CliRunner, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The ``toshav`` command over the test's own database, answering in English."""
    monkeypatch.setenv("TOSHAV_LANGUAGE", "en")
    return toshav


def _two_holders(database: FreshDatabase) -> tuple[str, list[str]]:
    """Two residents with permits whose passes the first key signed; a second key signs now."""
    settings = get_settings()
    now = datetime.now(UTC)
    with database.session() as db:
        load_city(db)
        zones.import_demo_zones(db)
        load_programmes(db, now=now)
        first = credentials.rotate_key(db, settings, now=now - timedelta(days=1))
        street = street_by_code(db, "herzl")
        for number in range(2):
            resident = create_resident(db, settings, street=street, house_number=15 + 2 * number)
            plate = f"123456{number}"
            vehicles.register_vehicle(
                db, settings, resident, plate=plate, relation=VehicleRelation.owner, now=now
            )
            permits.apply_for_permit(
                db, settings, Keyring(settings), resident, plate=plate, now=now
            )
        credentials.rotate_key(
            db, settings, now=now - timedelta(minutes=1), activate_in=timedelta(0)
        )
        db.commit()
        tokens = [p.token for p in db.scalars(select(ParkingPass).order_by(ParkingPass.plate))]
        return first.kid, tokens


def test_a_key_that_signed_unexpired_passes_is_not_retired_without_reissue(
    fresh_database: FreshDatabase, runner: CliRunner
) -> None:
    kid, _ = _two_holders(fresh_database)

    refused = runner.invoke(main, ["keys", "retire", kid])

    assert refused.exit_code == 1
    assert f"Credentials the key {kid} signed that are still valid: 2." in refused.output
    assert "--reissue" in refused.output
    with fresh_database.session() as db:
        key = db.scalar(select(SigningKey).where(SigningKey.kid == kid))
        assert key is not None
        assert key.retired_at is None
        assert [p.token for p in db.scalars(select(ParkingPass))] != []
        assert all(p.revoked_at is None for p in db.scalars(select(ParkingPass)))


def test_reissue_signs_every_pass_afresh_then_retires_the_key(
    fresh_database: FreshDatabase, runner: CliRunner
) -> None:
    kid, old_tokens = _two_holders(fresh_database)

    retired = runner.invoke(main, ["keys", "retire", kid, "--reissue", "--reason", "rotation"])

    assert retired.exit_code == 0, retired.output
    assert "re-issued under the current key: parking passes, 2." in retired.output
    assert f"key {kid} retired" in retired.output
    now = datetime.now(UTC)
    with fresh_database.session() as db:
        passes = db.scalars(select(ParkingPass).order_by(ParkingPass.created_at)).all()
        old = [p for p in passes if p.token in old_tokens]
        new = [p for p in passes if p.token not in old_tokens]
        assert [(p.revoked_reason, p.revoked_at is not None) for p in old] == [
            ("reissued", True)
        ] * 2
        assert len(new) == 2
        assert {p.permit_id for p in new} == {p.permit_id for p in old}  # same permits
        assert {(p.plate, p.zone_code, p.expires_at) for p in new} == {
            (p.plate, p.zone_code, p.expires_at) for p in old
        }
        assert all(p.kid != kid and token_kid(p.token) == p.kid for p in new)
        # The wallet shows the new pass, and the new pass is the one inspectors accept.
        for fresh in new:
            resident = db.scalar(
                select(Resident)
                .join(Permit, Permit.resident_id == Resident.id)
                .where(Permit.id == fresh.permit_id)
            )
            assert resident is not None
            views = permits.my_permits(db, resident, now=now)
            assert [v.parking_pass.token for v in views if v.parking_pass] == [fresh.token]
        jwks = credentials.published_jwks(db)
        retired_kids = credentials.retired_kids(db)
        for token, reason in [(p.token, Reason.valid_permit) for p in new] + [
            (p.token, Reason.retired_key) for p in old
        ]:
            found = judge_pass(
                token,
                jwks=jwks,
                revoked={},
                audience=get_settings().parking_pass_audience,
                at=now,
                retired_kids=retired_kids,
            )
            assert found.reason is reason

    again = runner.invoke(main, ["keys", "retire", kid])
    assert again.exit_code == 1  # already retired


def test_with_parking_off_a_retirement_counts_no_passes(
    fresh_database: FreshDatabase, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    kid, _ = _two_holders(fresh_database)
    monkeypatch.setenv("TOSHAV_MODULES", "[]")
    get_settings.cache_clear()

    retired = runner.invoke(main, ["keys", "retire", kid, "--reissue"])

    assert retired.exit_code == 0, retired.output
    assert "parking passes" not in retired.output
    assert f"key {kid} retired" in retired.output
    with fresh_database.session() as db:
        assert all(p.revoked_at is None for p in db.scalars(select(ParkingPass)))
