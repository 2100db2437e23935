"""A person's rights over their data: their file (everything held about them and their wards, and
nothing of anyone else), and erasure through a clerk (anonymised, the ledger sound, the city's
figures whole, sign-in refused), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, sessionmaker

from benefits.eligibility.service.programme_files import load_programmes
from benefits.ledger.models import Account, OwnerType, Transaction
from benefits.ledger.service.check import check_ledger
from cashback.models import Purchase
from cashback.service import purchases, redemptions, refunds, releases
from figures.open_data import service as open_data
from kernel.clock import SetClock
from kernel.database import Base, make_engine
from parking.models import Inspection, ParkingPass, ParkingSession, Permit, Vehicle
from parking.service import parking_time, zones
from resident_card.accounts.models import Role, User
from resident_card.cards import photos
from resident_card.cards import service as cards
from resident_card.cards.models import Card, CardPhoto
from resident_card.city.service import load_city, street_by_code
from resident_card.credentials import service as credentials
from resident_card.credentials.service import Keyring
from resident_card.residents.models import Resident
from resident_card.residents.service import residency
from resident_card.rights.exceptions import ErasureAlreadyDecided
from resident_card.rights.schemas import Outcome
from resident_card.rights.service import erasure as erasures
from resident_card.rights.service import export as exports
from tests.cashback.conftest import card_token, make_business, make_campaign
from tests.conftest import IN_TRANSACTION, Backend, FreshDatabase, built_app, make_settings
from tests.factories import (
    DEFAULT_PASSWORD,
    auth_headers,
    create_resident,
    create_user,
    israeli_id,
)
from tests.parking.conftest import Person, apply, person, register
from toshav import plug_ins
from toshav.domains import CORE
from toshav.schema import load_all_models
from toshav.settings import ServiceSettings

EXPORT = "/api/v1/me/export"
ERASURE = "/api/v1/me/erasure"
STATS = ("uptake", "campaigns", "purchases", "businesses", "flags", "inspections", "permits")


@dataclass
class World:
    """A resident with activity in every domain, a stranger with some of their own, and the staff
    who served them."""

    dana: Person
    ward_id: str
    stranger: Person
    clerk: User
    inspector: User
    cashier: User
    dana_identifier: str
    at: datetime  # when the last of it happened


def _photo() -> bytes:
    image = Image.new("RGB", (64, 64), (200, 120, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _world(
    client: TestClient, session: Session, settings: ServiceSettings, app: FastAPI, clock: SetClock
) -> World:
    now = clock.now()
    # Mid last month on the city's calendar: past the cashback's return window, and in the open
    # data (whole months only) whatever day the suite runs.
    this_month = now.astimezone(ZoneInfo(settings.city_time_zone)).replace(day=1, hour=12)
    past = this_month - timedelta(days=15)
    load_city(session)
    zones.import_demo_zones(session)
    load_programmes(session, now=past, zone=ZoneInfo(settings.city_time_zone))
    credentials.rotate_key(
        session, settings, now=past - timedelta(days=1), activate_in=timedelta(0)
    )
    _merchant, cashier = make_business(session, settings, now=past)
    make_campaign(session, now=past)
    clerk = create_user(session, settings, role=Role.admin)
    inspector = create_user(session, settings, role=Role.inspector)
    identifier = israeli_id(4_242_421)
    dana = person(
        session,
        settings,
        app,
        first_name="Dana",
        last_name="Rightsholder",
        apartment="4",
        phone="+972501234567",
        email="dana.rights@example.org",
        identifier=identifier,
        now=past - timedelta(days=1),
    )
    stranger = person(
        session,
        settings,
        app,
        house_number=17,
        first_name="Yosef",
        last_name="Outsider",
        email="yosef.outsider@example.org",
        now=past - timedelta(days=1),
    )
    ward = client.post(
        "/api/v1/residents/me/wards",
        json={
            "first_name": "Noam",
            "last_name": "Rightsholder",
            "date_of_birth": "2016-02-03",
            "relation": "child",
            "identifier": {"kind": "israeli_id", "value": israeli_id(4_242_422)},
        },
        headers=dana.headers,
    )
    assert ward.status_code == 201, ward.text
    keyring = Keyring(settings)
    # Cashback: a purchase whose window is over (released, partly refunded, partly spent), and
    # one still held.
    for who, receipt in ((dana, "R-1"), (stranger, "S-1")):
        purchases.record_purchase(
            session,
            settings,
            staff_user_id=cashier.id,
            idempotency_key=f"sale-{receipt}",
            card_token=card_token(session, settings, keyring, who.resident, past),
            amount_agorot=20_000,
            receipt=receipt,
            now=past,
        )
    releases.release_due_holds(session, now=now)
    first = session.scalars(select(Purchase).where(Purchase.resident_id == dana.resident.id)).one()
    refunds.refund_purchase(
        session,
        staff_user_id=cashier.id,
        purchase_id=first.id,
        amount_agorot=5_000,
        receipt="RF-1",
        idempotency_key="refund-1",
        now=now,
    )
    redemptions.redeem(
        session,
        settings,
        staff_user_id=cashier.id,
        idempotency_key="redeem-1",
        card_token=card_token(session, settings, keyring, dana.resident, now),
        amount_agorot=300,
        receipt="RD-1",
        now=now,
    )
    purchases.record_purchase(
        session,
        settings,
        staff_user_id=cashier.id,
        idempotency_key="sale-R-2",
        card_token=card_token(session, settings, keyring, dana.resident, now),
        amount_agorot=10_000,
        receipt="R-2",
        now=now,
    )
    # The card's photo, a clerk's decision about the record.
    cards.set_photo(session, dana.resident, photos.prepare_photo(_photo()), now=now)
    residency.set_disability(
        session,
        resident_id=dana.resident.id,
        disability=True,
        reason="certificate",
        actor_id=clerk.id,
    )
    # Parking: vehicles, permits and passes, free minutes, a session, inspections; the plate was
    # another's car, checked, before it was Dana's.
    earlier = client.post(
        "/api/v1/parking/inspections",
        json={
            "plate": "1234567",
            "zone": "hadar_west",
            "at": (now - timedelta(hours=2)).isoformat(),
        },
        headers=auth_headers(app, inspector),
    )
    assert earlier.status_code == 200, earlier.text
    for who, plate in ((dana, "1234567"), (stranger, "7654321")):
        register(client, who, plate)
        apply(client, who, plate)
        parking_time.grant_free_minutes(session, who.resident, now=now, settings=settings)
    started = client.post(
        "/api/v1/parking/sessions",
        json={"plate": "1234567", "zone": "hadar_west"},
        headers=dana.headers,
    )
    assert started.status_code == 201, started.text
    clock.advance(minutes=30)
    stopped = client.post(
        f"/api/v1/parking/sessions/{started.json()['id']}/stop", headers=dana.headers
    )
    assert stopped.status_code == 200, stopped.text
    for plate in ("1234567", "7654321"):
        checked = client.post(
            "/api/v1/parking/inspections",
            json={"plate": plate, "zone": "hadar_west"},
            headers=auth_headers(app, inspector),
        )
        assert checked.status_code == 200, checked.text
    session.flush()
    return World(
        dana, ward.json()["id"], stranger, clerk, inspector, cashier, identifier, clock.now()
    )


@dataclass
class Built:
    """A database of the module's own holding the world, committed once; each test works inside
    a transaction on it that is rolled back at its end."""

    engine: Engine
    settings: ServiceSettings
    world: World


@pytest.fixture(scope="module")
def built(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    url = backend.copy()
    engine = make_engine(url)
    settings = make_settings(url, tmp_path_factory.mktemp("rights"), **IN_TRANSACTION)
    clock = SetClock(datetime.now().astimezone().replace(microsecond=0))
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            app = built_app(settings, clock=clock, connection=connection)
            made = sessionmaker(
                bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
            )
            with TestClient(app, headers={"Accept-Language": "en"}) as client, made() as session:
                world = _world(client, session, settings, app, clock)
                session.commit()  # its savepoint, into the connection's transaction
            transaction.commit()
        yield Built(engine, settings, world)
    finally:
        engine.dispose()
        backend.drop(url)


@pytest.fixture
def world(built: Built, app: FastAPI) -> World:
    """The world, with its people's bearer headers minted by this test's app."""
    made = built.world
    return replace(
        made,
        dana=replace(made.dana, headers=auth_headers(app, made.dana.user)),
        stranger=replace(made.stranger, headers=auth_headers(app, made.stranger.user)),
    )


@pytest.fixture
def settings(built: Built, tmp_path: Path) -> ServiceSettings:
    return built.settings


@pytest.fixture
def connection(built: Built) -> Iterator[Connection]:
    with built.engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def clock(built: Built) -> SetClock:
    return SetClock(built.world.at)


def _file(client: TestClient, who: Person) -> tuple[dict[str, Any], str]:
    response = client.get(EXPORT, headers=who.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["content-type"].startswith("application/json")
    return response.json(), response.text


def test_the_erasure_table_matches_its_model(connection: Connection) -> None:
    load_all_models()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    assert [d for d in compare_metadata(context, Base.metadata) if "erasure" in repr(d)] == []


def test_the_file_holds_everything_of_the_person_and_their_ward_and_nothing_of_anyone_else(
    client: TestClient, world: World
) -> None:
    dana = world.dana

    document, text = _file(client, dana)

    assert document["format"] == "toshav-export/1"
    assert document["account"]["username"] == dana.user.username
    assert "password_hash" not in document["account"]
    assert {r["id"]: r["relation"] for r in document["residents"]} == {
        str(dana.resident.id): "self",
        world.ward_id: "ward",
    }
    own = next(r for r in document["residents"] if r["relation"] == "self")
    assert (own["first_name"], own["email"], own["phone"]) == (
        "Dana",
        "dana.rights@example.org",
        "+972501234567",
    )
    assert own["identifier"].endswith(world.dana_identifier[-3:])
    assert world.dana_identifier not in text
    assert "identifier_hash" not in own
    assert {c["resident_id"] for c in document["residency_history"]} == {
        str(dana.resident.id),
        world.ward_id,
    }
    assert len(document["households"]) == 1
    assert [g["ward_id"] for g in document["guardianships"]] == [world.ward_id]
    assert [c["resident_id"] for c in document["cards"]] == [str(dana.resident.id)]
    assert len(document["card_photos"]) == 1
    assert [v["plate"] for v in document["vehicles"]] == ["1234567"]
    assert [p["plate"] for p in document["permits"]] == ["1234567"]
    assert [p["plate"] for p in document["parking_passes"]] == ["1234567"]
    assert [(s["plate"], s["minutes"]) for s in document["parking_sessions"]] == [("1234567", 30)]
    assert [(i["plate"], "inspector_id" in i) for i in document["inspections"]] == [
        ("1234567", False)
    ]
    assert sorted(p["receipt"] for p in document["purchases"]) == ["R-1", "R-2"]
    assert [r["receipt"] for r in document["refunds"]] == ["RF-1"]
    assert [r["amount_agorot"] for r in document["redemptions"]] == [300]
    assert len(document["cashback_wallets"]) == 1
    purposes = {a["purpose"]: a for a in document["ledger_accounts"]}
    assert {"parking_free_minutes", "cashback", "cashback_receivable"} <= set(purposes)
    assert purposes["parking_free_minutes"]["available"] == 90
    assert [p["kind"] for p in purposes["parking_free_minutes"]["postings"]] == ["parking", "grant"]
    assert {d["resident_id"] for d in document["eligibility_decisions"]} >= {str(dana.resident.id)}
    assert all(d["reasons"] for d in document["eligibility_decisions"])
    assert [g["resident_id"] for g in document["allowance_grants"]] == [str(dana.resident.id)]
    assert {r["kind"] for r in document["requests"]} >= {"enrolment", "permit"}
    assert document["messages"], "the permit's and the cashback's messages"
    assert any(e["action"] == "resident.disability" for e in document["audit_entries"])
    # Nothing of anyone else: the stranger, the clerk, the inspector, the cashier.
    for foreign in (
        world.stranger.resident.id,
        world.stranger.user.id,
        world.stranger.user.username,
        "Outsider",
        "yosef.outsider@example.org",
        "7654321",
        "S-1",
        world.clerk.id,
        world.inspector.id,
        world.cashier.id,
    ):
        assert str(foreign) not in text, foreign


def _figures(client: TestClient, app: FastAPI, auditor: User, day: str) -> dict[str, Any]:
    headers = auth_headers(app, auditor)
    found = {}
    for what in STATS:
        response = client.get(
            f"/api/v1/stats/{what}", params={"from": day, "to": day}, headers=headers
        )
        assert response.status_code == 200, response.text
        found[what] = response.json()
    return found


def _open_data(session: Session, settings: ServiceSettings, clock: SetClock) -> list[Any]:
    made = open_data.make_release(
        session, settings.model_copy(update={"open_data_k": 2}), clock.now()
    )
    return sorted((table.source.resource, repr(table.rows)) for table in made.tables)


def test_an_erasure_granted_by_a_clerk_anonymises_the_person_and_keeps_the_ledger_and_figures(
    client: TestClient,
    session: Session,
    settings: ServiceSettings,
    app: FastAPI,
    clock: SetClock,
    world: World,
) -> None:
    dana = world.dana
    auditor = create_user(session, settings, role=Role.auditor)
    clerk = auth_headers(app, world.clerk)
    day = clock.now().astimezone(ZoneInfo(settings.city_time_zone)).date().isoformat()
    figures_before = _figures(client, app, auditor, day)
    open_before = _open_data(session, settings, clock)
    # Last month's purchases (Dana's and the stranger's) are in it: two people, shown at k = 2.
    cashback = next(rows for name, rows in open_before if name == "cashback")
    assert "'purchases': 2" in cashback

    asked = client.post(ERASURE, json={"reason": "I am leaving the city"}, headers=dana.headers)
    again = client.post(ERASURE, json={"reason": "once more"}, headers=dana.headers)

    assert asked.status_code == 202, asked.text
    assert again.status_code == 409
    assert again.json()["error"] == "erasure_already_open"
    erasure_id = asked.json()["id"]
    mine = client.get("/api/v1/requests/me", headers=dana.headers).json()
    assert [(r["kind"], r["status"]) for r in mine if r["id"] == erasure_id] == [
        ("erasure", "submitted")
    ]
    desk = client.get("/api/v1/admin/erasures", params={"status": "submitted"}, headers=clerk)
    assert [(e["id"], e["name"]) for e in desk.json()["items"]] == [
        (erasure_id, "Dana Rightsholder")
    ]
    # A day on, the clerk grants it: the figures of the days before are the city's to keep.
    clock.advance(days=1)
    decided = client.post(
        f"/api/v1/admin/erasures/{erasure_id}/decide",
        json={"outcome": "granted", "reason": "no record must be kept"},
        headers=clerk,
    )

    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "granted"
    session.expire_all()
    resident = session.get(Resident, dana.resident.id)
    assert resident is not None
    assert (resident.first_name, resident.last_name, resident.email, resident.phone) == (
        "",
        "",
        None,
        None,
    )
    assert (resident.apartment, resident.identifier_hint) == (None, "")
    assert (resident.date_of_birth.month, resident.date_of_birth.day) == (1, 1)
    assert resident.status == "moved_out"
    user = session.get(User, dana.user.id)
    assert user is not None
    assert not user.is_active
    assert user.username.startswith("erased-")
    # Sign-in refused, with the old name and password, and with the token held before.
    signin = client.post(
        "/api/v1/auth/token",
        data={"username": dana.user.username, "password": DEFAULT_PASSWORD},
    )
    assert signin.status_code == 401
    assert client.get("/api/v1/me", headers=dana.headers).status_code in (401, 403)
    cards = session.scalars(select(Card).where(Card.resident_id == resident.id)).all()
    assert cards
    assert all(card.status == "revoked" for card in cards)
    assert (
        session.scalars(select(CardPhoto).where(CardPhoto.resident_id == resident.id)).all() == []
    )
    for model in (Vehicle, Permit):
        plates = session.scalars(select(model.plate).where(model.resident_id == resident.id)).all()
        assert plates, model
        assert set(plates) == {""}, model
    parked = session.scalars(
        select(ParkingSession).where(ParkingSession.resident_id == resident.id)
    ).all()
    assert [(row.plate, row.vehicle_id) for row in parked] == [(None, None)]
    passes = session.scalars(select(ParkingPass).where(ParkingPass.plate == "1234567")).all()
    assert passes == []
    inspected = session.scalars(select(Inspection.plate)).all()
    assert sorted(plate or "-" for plate in inspected) == ["-", "1234567", "7654321"]
    # The ledger balances; the person's accounts are settled to nothing and stay, pseudonymous.
    assert check_ledger(session).ok
    accounts = session.scalars(
        select(Account).where(
            Account.owner_type == OwnerType.resident.value, Account.owner_id == resident.id
        )
    ).all()
    assert accounts
    assert {(a.balance, a.held_in, a.held_out) for a in accounts} == {(0, 0, 0)}
    # The city's figures and open data are whole; only the campaign's budget left (a balance of
    # now, not a figure of the day) has the cashback that was still held back.
    figures_after = _figures(client, app, auditor, day)
    left_before = figures_before["campaigns"]["campaigns"][0].pop("budget_left_agorot")
    left_after = figures_after["campaigns"]["campaigns"][0].pop("budget_left_agorot")
    assert left_after - left_before == 1_000  # 10% of the purchase still in its return window
    assert figures_after == figures_before
    assert _open_data(session, settings, clock) == open_before
    # The stranger is untouched, and refused erasure leaves them as they were.
    other = client.post(ERASURE, json={"reason": "just asking"}, headers=world.stranger.headers)
    refused = client.post(
        f"/api/v1/admin/erasures/{other.json()['id']}/decide",
        json={"outcome": "refused", "reason": "an open parking fine"},
        headers=clerk,
    )
    assert refused.status_code == 200, refused.text
    theirs = client.get("/api/v1/requests/me", headers=world.stranger.headers).json()
    step = next(r for r in theirs if r["kind"] == "erasure")
    assert (step["status"], step["timeline"][-1]["note"]) == ("refused", "an open parking fine")
    assert _file(client, world.stranger)[0]["residents"][0]["last_name"] == "Outsider"


def test_a_domain_switched_off_brings_nothing_to_the_file(
    session: Session, settings: ServiceSettings, world: World
) -> None:
    user = session.get(User, world.dana.user.id)
    assert user is not None
    plug_ins.install(CORE)

    document = exports.export(session, settings, user, world.at)

    assert {"vehicles", "permits", "purchases", "redemptions"}.isdisjoint(document)
    assert {"residents", "ledger_accounts", "messages"} <= set(document)
    assert {p["purpose"] for p in document["ledger_accounts"]} >= {"cashback"}


@pytest.mark.postgres_only
def test_two_clerks_deciding_one_erasure_at_once_settle_the_balance_once(
    fresh_database: FreshDatabase,
) -> None:
    settings = fresh_database.settings
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        load_city(session)
        zones.import_demo_zones(session)
        load_programmes(session, now=now, zone=ZoneInfo(settings.city_time_zone))
        street = street_by_code(session, "herzl")
        assert street is not None
        resident = create_resident(
            session, settings, user=True, street=street, house_number=15, now=now
        )
        assert resident.user_id is not None
        report = parking_time.grant_free_minutes(session, resident, now=now, settings=settings)
        assert report.granted == 1
        clerks = [create_user(session, settings, role=Role.admin).id for _ in range(2)]
        asked = erasures.ask(session, user_id=resident.user_id, reason="leaving", now=now)
        session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(clerk_id: uuid.UUID) -> None:
        try:
            with fresh_database.session() as session:
                barrier.wait()
                erasures.decide(
                    session,
                    settings,
                    erasure_id=asked.id,
                    outcome=Outcome.granted,
                    reason="nothing must be kept",
                    actor_id=clerk_id,
                    now=now,
                )
                session.commit()
            outcomes.append("granted")
        except ErasureAlreadyDecided:
            outcomes.append("already decided")

    threads = [threading.Thread(target=decide, args=(clerk,)) for clerk in clerks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already decided", "granted"]
    with fresh_database.session() as session:
        settled = session.scalars(select(Transaction).where(Transaction.kind == "erasure")).all()
        assert [t.reference for t in settled] == [f"erasure:{asked.id}"]
        assert check_ledger(session).ok
