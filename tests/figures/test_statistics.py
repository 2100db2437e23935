"""The statistics behind the dashboard (``/api/v1/stats/…``), on SQLite and PostgreSQL, against
figures worked out by hand on one small city made through the services: three residents, two
businesses in two neighbourhoods with two campaigns, purchases across October and November 2026
(one at 23:30 on 31 October and one at 00:30 on 1 November, city time), a refund, a redemption,
releases, two flags settled each way, permits, parking sessions, inspections of five verdicts, and
two months of free parking minutes granted, used and expired.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.eligibility.service.allowances import expire_allowance, grant_allowance
from benefits.eligibility.service.programme_files import load_programmes
from benefits.ledger.models import Posting
from benefits.uptake import service as uptake
from benefits.uptake.models import UptakeUsedDay
from cashback.models import BusinessCategory, Flag, FlagOutcome
from cashback.service import campaigns, redemptions, refunds, releases
from cashback.service import flags as flags_service
from cashback.service.purchases import record_purchase
from figures.rollups import service as rollups
from kernel.clock import SetClock
from kernel.database import make_engine, make_sessionmaker
from parking.models import VehicleRelation
from parking.service import inspections, parking_time, permits, vehicles, zones
from resident_card.accounts.models import Role, User
from resident_card.city.service import load_city, street_by_code
from resident_card.credentials import service as credentials
from resident_card.credentials.service import Keyring
from resident_card.residents.models import Resident
from tests.cashback.conftest import card_token, make_business
from tests.conftest import IN_TRANSACTION, Backend, built_app, make_settings
from tests.factories import auth_headers, create_resident, create_user
from toshav import plug_ins
from toshav.domains import EVERY
from toshav.settings import ServiceSettings

ZONE = ZoneInfo("Asia/Jerusalem")
AUTUMN = {"from": "2026-10-01", "to": "2026-11-30"}


def city_time(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of 2026 given by the city's clock."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@dataclass
class City:
    settings: ServiceSettings
    clock: SetClock
    users: dict[str, User]
    ids: dict[str, Any]


def _build(session: Session, settings: ServiceSettings) -> City:
    start = city_time(9, 30, 9)
    load_city(session)
    zones.import_demo_zones(session)
    load_programmes(session, now=start, zone=ZONE)
    credentials.rotate_key(
        session, settings, now=start - timedelta(hours=1), activate_in=timedelta(0)
    )
    keyring = Keyring(settings)
    users = {role.value: create_user(session, settings, role=role) for role in Role}

    def resident(street: str, number: int, born: date) -> Resident:
        found = street_by_code(session, street)
        assert found is not None
        return create_resident(
            session,
            settings,
            street=found,
            house_number=number,
            date_of_birth=born,
            now=start - timedelta(days=30),
        )

    dana = resident("herzl", 15, date(1985, 6, 15))  # hadar_west
    yossi = resident("herzl", 70, date(1950, 2, 1))  # hadar_east, a senior
    rana = resident("moriah", 10, date(1990, 3, 3))  # carmel

    # --- free minutes: granted on the 1st, used, the rest expired after the month -----------
    def grant(month: int) -> None:
        for code in ("parking_free_minutes", "senior_extra_parking"):
            grant_allowance(
                session,
                programme_code=code,
                period=f"2026-{month}",
                now=city_time(month, 1, 8),
                zone=ZONE,
            )

    def park(who: Resident, plate: str, zone: str, begin: datetime, minutes: int) -> None:
        row = parking_time.start_session(session, who, plate=plate, zone=zone, lot=None, now=begin)
        parking_time.stop_session(session, who, row.id, now=begin + timedelta(minutes=minutes))

    def register(who: Resident, plate: str, at: datetime) -> None:
        vehicles.register_vehicle(
            session, settings, who, plate=plate, relation=VehicleRelation.owner, now=at
        )

    def apply(who: Resident, plate: str, at: datetime) -> permits.PermitView:
        view = permits.apply_for_permit(session, settings, keyring, who, plate=plate, now=at)
        assert view.state == "active", view.decision.reasons
        return view

    def inspect(plate: str, zone: str, at: datetime) -> str:
        verdict = inspections.judge_plate(session, plate, zone, at=at)
        asked = inspections.InspectionRequest(None, plate, zone, None, None, at)
        record = inspections.inspection_record(
            inspections.Judged(verdict, zone, at),
            asked,
            inspector_id=users["inspector"].id,
            now=at,
        )
        inspections.record_inspections(session, [record])
        return verdict.reason.value

    grant(10)
    register(dana, "1234567", city_time(10, 5, 9))
    apply(dana, "1234567", city_time(10, 5, 9, 5))
    park(dana, "1234567", "carmel", city_time(10, 12, 10), 30)
    verdicts = [
        inspect("1234567", "hadar_west", city_time(10, 13, 10)),
        inspect("1234567", "carmel", city_time(10, 13, 10, 5)),
        inspect("9999999", "carmel", city_time(10, 31, 23, 30)),
    ]
    register(rana, "7654321", city_time(10, 20, 9))
    apply(rana, "7654321", city_time(10, 20, 9, 5))
    for code in ("parking_free_minutes", "senior_extra_parking"):
        expire_allowance(
            session, programme_code=code, period="2026-10", now=city_time(11, 1, 7), zone=ZONE
        )
    grant(11)
    register(yossi, "2345678", city_time(11, 10, 9))
    cancelled = apply(yossi, "2345678", city_time(11, 10, 9, 5))
    permits.cancel_permit(session, yossi, cancelled.permit.id, now=city_time(11, 15, 9))
    verdicts.append(inspect("2345678", "hadar_east", city_time(11, 16, 10)))
    row = parking_time.start_session(
        session, yossi, plate="2345678", zone="carmel", lot=None, now=city_time(11, 20, 10)
    )
    verdicts.append(inspect("2345678", "carmel", city_time(11, 20, 10, 30)))
    parking_time.stop_session(session, yossi, row.id, now=city_time(11, 20, 12, 30))
    verdicts.append(inspect("7654321", "carmel", city_time(11, 21, 10)))
    assert verdicts == [
        "valid_permit",
        "wrong_zone",
        "unknown_vehicle",
        "revoked",  # yossi's permit, cancelled the day before
        "active_session",
        "valid_permit",
    ]

    # --- cashback: a city-wide campaign, and one for Carmel Centre from November -------------
    cafe, cafe_staff = make_business(
        session, settings, now=start, category=BusinessCategory.cafe, name="Café Hadar"
    )  # Herzl 20: Hadar
    grocer, grocer_staff = make_business(
        session,
        settings,
        now=start,
        category=BusinessCategory.grocery,
        street_code="moriah",
        house_number=12,
        name="Makolet Carmel",
    )
    make_business(
        session,
        settings,
        now=start,
        category=BusinessCategory.books,
        house_number=30,
        name="Books Hadar",
    )

    def campaign(
        code: str, name: str, rate_bp: int, budget: int, at: datetime, **terms: Any
    ) -> Any:
        made = campaigns.create_campaign(
            session,
            campaigns.CampaignTerms(
                code=code,
                names={"he": f"{name} he", "ar": f"{name} ar", "en": name},
                rate_bp=rate_bp,
                starts_at=at,
                **terms,
            ),
            actor_id=None,
            now=at,
        )
        campaigns.top_up(
            session,
            made.id,
            amount_agorot=budget,
            reason="budget",
            idempotency_key=code,
            actor_id=None,
            now=at,
        )
        return made

    city_wide = campaign("city", "City cashback", 1000, 100_000, start)
    carmel = campaign(
        "carmel",
        "Carmel weeks",
        2000,
        5_000,
        city_time(10, 31, 23),
        neighbourhoods=("carmel_centre",),
    )

    def buy(staff: User, who: Resident, amount: int, at: datetime) -> Any:
        token = card_token(session, settings, keyring, who, at)
        return record_purchase(
            session,
            settings,
            staff_user_id=staff.id,
            idempotency_key=f"{who.id}:{at.isoformat()}",
            card_token=token,
            amount_agorot=amount,
            receipt="R-1",
            now=at,
        ).purchase

    buy(cafe_staff, dana, 10_000, city_time(10, 10, 12))  # city: 1_000
    edge = buy(cafe_staff, rana, 20_000, city_time(10, 31, 23, 30))  # city: 2_000, flagged
    first = buy(grocer_staff, dana, 5_000, city_time(11, 1, 0, 30))  # Carmel: 1_000
    returned = buy(grocer_staff, yossi, 8_000, city_time(11, 6, 10))  # Carmel: 1_600
    refunds.refund_purchase(
        session,
        staff_user_id=grocer_staff.id,
        purchase_id=returned.id,
        amount_agorot=4_000,
        receipt="R-2",
        idempotency_key=None,
        now=city_time(11, 7, 10),
    )  # takes back 800 from the hold
    big = buy(cafe_staff, yossi, 30_000, city_time(11, 8, 10))  # city: 3_000, flagged, still held
    releases.release_due_holds(session, now=city_time(11, 1, 9))  # dana's October 1_000
    releases.release_due_holds(session, now=city_time(11, 21, 12))  # 2_000, 1_000 and 800
    redemptions.redeem(
        session,
        settings,
        staff_user_id=grocer_staff.id,
        idempotency_key="spend",
        card_token=card_token(session, settings, keyring, dana, city_time(11, 25, 10)),
        amount_agorot=1_500,
        receipt=None,
        now=city_time(11, 25, 10),
    )
    for purchase, outcome in ((edge, FlagOutcome.dismissed), (big, FlagOutcome.confirmed)):
        flag = session.scalars(select(Flag).where(Flag.purchase_id == purchase.id)).one()
        flags_service.resolve_flag(
            session,
            flag.id,
            outcome=outcome,
            reason="looked at",
            actor_id=users["admin"].id,
            now=city_time(11, 26, 9),
        )
    assert (first.campaign_id, returned.campaign_id) == (carmel.id, carmel.id)
    ids = {"city": city_wide.id, "carmel": carmel.id, "cafe": cafe.id, "grocer": grocer.id}
    # Read now (access tokens are checked against the real time); the data stays in 2026.
    return City(settings, SetClock(datetime.now(UTC).replace(microsecond=0)), users, ids)


@pytest.fixture(scope="module")
def city(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    """The small city, in a database of the module's own, committed once for all its tests."""
    url = backend.copy()
    settings = make_settings(url, tmp_path_factory.mktemp("statistics"), **IN_TRANSACTION)
    engine = make_engine(url)
    plug_ins.install(EVERY)  # as the suite's every test has them (this runs before that fixture)
    try:
        with make_sessionmaker(engine)() as session:
            built = _build(session, settings)
            session.commit()
        yield built
    finally:
        engine.dispose()
        backend.drop(url)


@pytest.fixture
def app(city: City) -> FastAPI:
    return built_app(city.settings, clock=city.clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        yield client


def read(client: TestClient, app: FastAPI, city: City, what: str, **query: Any) -> Any:
    headers = auth_headers(app, city.users["auditor"])
    response = client.get(f"/api/v1/stats/{what}", params={**AUTUMN, **query}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


WINDOW = {"from": "2026-10-01", "to": "2026-11-30", "months": ["2026-10", "2026-11"]}
ROUTES = ("uptake", "campaigns", "purchases", "businesses", "flags", "inspections", "permits")


# --- benefits ---------------------------------------------------------------------------------


def test_uptake_counts_each_allowance_granted_and_used_by_month(
    client: TestClient, app: FastAPI, city: City
) -> None:
    body = read(client, app, city, "uptake")

    assert body == {
        "window": WINDOW,
        "programmes": [
            {
                "code": "parking_free_minutes",
                "name": "Free parking minutes",
                "unit": "PARKING_MIN",
                # 120 minutes to each of the three, each month; dana used 30 in October, yossi 120
                # of his 150 in November (what October left expired, which is no use).
                "months": [
                    {"month": "2026-10", "residents": 3, "granted": 360, "used": 30},
                    {"month": "2026-11", "residents": 3, "granted": 360, "used": 120},
                ],
                "residents": 3,
                "granted": 720,
                "used": 150,
            },
            {
                "code": "senior_extra_parking",
                "name": "Extra parking for seniors and people with disabilities",
                "unit": "PARKING_MIN",
                # yossi alone, 240 a month; the last 30 of his 150 minutes in November.
                "months": [
                    {"month": "2026-10", "residents": 1, "granted": 240, "used": 0},
                    {"month": "2026-11", "residents": 1, "granted": 240, "used": 30},
                ],
                "residents": 1,
                "granted": 480,
                "used": 30,
            },
        ],
    }


def test_uptake_is_the_same_whenever_its_rollup_last_ran(
    client: TestClient, app: FastAPI, city: City
) -> None:
    """What residents used is read from its rollup by day plus the postings after the rollup's
    mark: rolled up a third of the way, two thirds, all of it, and once more, the answer is the
    one the ledger alone gave, and the rollup holds each use on its city day."""
    before = read(client, app, city, "uptake")
    engine = make_engine(city.settings.database_url)
    try:
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            high = rollups.safe_high(session, Posting.id)
            numbers = session.scalars(select(Posting.id).order_by(Posting.id)).all()
        assert numbers[-1] == high
        for through in (numbers[len(numbers) // 3], numbers[2 * len(numbers) // 3], high, high):
            with sessions.begin() as session:
                uptake.roll_up(session, through=through, zone=str(ZONE), now=city.clock.now())
            with sessions() as session:
                assert rollups.through(session, uptake.USED) == through
            assert read(client, app, city, "uptake") == before
        with sessions() as session:
            days = {
                (row.purpose, row.day): row.used for row in session.scalars(select(UptakeUsedDay))
            }
    finally:
        engine.dispose()
    assert days == {
        ("parking_free_minutes", date(2026, 10, 12)): 30,
        ("parking_free_minutes", date(2026, 11, 20)): 120,
        ("senior_extra_parking", date(2026, 11, 20)): 30,
    }


# --- parking ----------------------------------------------------------------------------------


def _verdicts(**counts: int) -> dict[str, int]:
    every = [
        "valid_permit",
        "active_session",
        "expired",
        "revoked",
        "wrong_zone",
        "unknown_vehicle",
        "no_permit",
        "bad_signature",
        "malformed",
        "not_a_pass",
        "not_yet_valid",
        "retired_key",
    ]
    return {verdict: counts.get(verdict, 0) for verdict in every}


def test_inspections_by_zone_with_the_share_of_each_verdict(
    client: TestClient, app: FastAPI, city: City
) -> None:
    body = read(client, app, city, "inspections")

    assert body["window"] == WINDOW
    zones = {zone["code"]: zone for zone in body["zones"]}
    assert zones["carmel"] == {
        "code": "carmel",
        "name": "Carmel Centre",
        "inspections": 4,
        "verdicts": _verdicts(wrong_zone=1, unknown_vehicle=1, active_session=1, valid_permit=1),
        "shares": {
            verdict: (0.25 if count else 0.0)
            for verdict, count in _verdicts(
                wrong_zone=1, unknown_vehicle=1, active_session=1, valid_permit=1
            ).items()
        },
    }
    assert zones["hadar_west"]["verdicts"] == _verdicts(valid_permit=1)
    assert zones["hadar_west"]["shares"]["valid_permit"] == 1.0
    assert zones["hadar_east"]["verdicts"] == _verdicts(revoked=1)
    assert {code: zone["inspections"] for code, zone in zones.items() if zone["inspections"]} == {
        "carmel": 4,
        "hadar_west": 1,
        "hadar_east": 1,
    }
    assert None not in zones  # every check named its zone
    # The unknown plate at 23:30 on 31 October is October's.
    assert body["months"] == [
        {
            "month": "2026-10",
            "inspections": 3,
            "verdicts": _verdicts(valid_permit=1, wrong_zone=1, unknown_vehicle=1),
        },
        {
            "month": "2026-11",
            "inspections": 3,
            "verdicts": _verdicts(revoked=1, active_session=1, valid_permit=1),
        },
    ]


def test_permits_issued_by_zone_and_month_and_those_in_force_at_the_end(
    client: TestClient, app: FastAPI, city: City
) -> None:
    body = read(client, app, city, "permits")

    assert body["window"] == WINDOW
    issued = {zone["code"]: (zone["issued"], zone["active_at_end"]) for zone in body["zones"]}
    # yossi's permit, cancelled on 15 November, was issued but is not in force at the end.
    assert {code: figures for code, figures in issued.items() if figures != (0, 0)} == {
        "hadar_west": (1, 1),
        "carmel": (1, 1),
        "hadar_east": (1, 0),
    }
    assert next(z for z in body["zones"] if z["code"] == "carmel")["name"] == "Carmel Centre"
    assert body["months"] == [
        {"month": "2026-10", "issued": 2},
        {"month": "2026-11", "issued": 1},
    ]
    # A window ending before rana's permit: only dana's was in force on 19 October.
    early = read(client, app, city, "permits", to="2026-10-19")
    assert [(z["code"], z["active_at_end"]) for z in early["zones"] if z["active_at_end"]] == [
        ("hadar_west", 1)
    ]


# --- cashback ---------------------------------------------------------------------------------


def test_campaigns_credited_released_and_budget_left(
    client: TestClient, app: FastAPI, city: City
) -> None:
    body = read(client, app, city, "campaigns")

    assert body == {
        "window": WINDOW,
        "campaigns": [
            {
                "id": str(city.ids["city"]),
                "name": "City cashback",
                "status": "running",
                "budget_agorot": 100_000,
                # 1_000 + 2_000 in October, 3_000 in November; released in November: dana's
                # October 1_000 and rana's 2_000 (the 3_000 is still in its return window).
                "credited_agorot": 6_000,
                "redeemed_agorot": 3_000,
                "budget_left_agorot": 94_000,
                "months": [
                    {"month": "2026-10", "credited_agorot": 3_000, "redeemed_agorot": 0},
                    {"month": "2026-11", "credited_agorot": 3_000, "redeemed_agorot": 3_000},
                ],
            },
            {
                "id": str(city.ids["carmel"]),
                "name": "Carmel weeks",
                "status": "running",
                "budget_agorot": 5_000,
                # 1_000 and 1_600, of which the refund took back 800; all released.
                "credited_agorot": 1_800,
                "redeemed_agorot": 1_800,
                "budget_left_agorot": 3_200,
                "months": [
                    {"month": "2026-10", "credited_agorot": 0, "redeemed_agorot": 0},
                    {"month": "2026-11", "credited_agorot": 1_800, "redeemed_agorot": 1_800},
                ],
            },
        ],
    }


def test_purchases_by_neighbourhood_category_and_month(
    client: TestClient, app: FastAPI, city: City
) -> None:
    body = read(client, app, city, "purchases")

    assert body["window"] == WINDOW
    assert body["cells"] == [
        {
            "neighbourhood": {"code": "carmel_centre", "name": "Carmel Centre"},
            "category": {"code": "grocery", "name": "Grocery"},
            "purchases": 2,
            "amount_agorot": 5_000 + 8_000 - 4_000,
            "cashback_agorot": 1_000 + 1_600 - 800,
            "residents": 2,
        },
        {
            "neighbourhood": {"code": "hadar", "name": "Hadar HaCarmel"},
            "category": {"code": "cafe", "name": "Café"},
            "purchases": 3,
            "amount_agorot": 60_000,
            "cashback_agorot": 6_000,
            "residents": 3,
        },
    ]
    # 23:30 on 31 October is October's; 00:30 on 1 November (22:30 UTC on the 31st) November's.
    assert body["months"] == [
        {"month": "2026-10", "purchases": 2, "amount_agorot": 30_000, "cashback_agorot": 3_000},
        {"month": "2026-11", "purchases": 3, "amount_agorot": 39_000, "cashback_agorot": 4_800},
    ]
    places = {place["code"]: place for place in body["neighbourhoods"]}
    assert len(places) == 15
    assert places["hadar"] == {
        "code": "hadar",
        "name": "Hadar HaCarmel",
        "purchases": 3,
        "amount_agorot": 60_000,
        "cashback_agorot": 6_000,
    }
    assert places["carmel_centre"]["purchases"] == 2
    assert places["bat_galim"] == {
        "code": "bat_galim",
        "name": "Bat Galim",
        "purchases": 0,
        "amount_agorot": 0,
        "cashback_agorot": 0,
    }


def test_a_month_s_edges_are_the_city_s_midnights(
    client: TestClient, app: FastAPI, city: City
) -> None:
    october = read(client, app, city, "purchases", **{"from": "2026-10-01", "to": "2026-10-31"})
    november = read(client, app, city, "purchases", **{"from": "2026-11-01", "to": "2026-11-30"})

    assert [(m["month"], m["purchases"]) for m in october["months"]] == [("2026-10", 2)]
    assert [(m["month"], m["purchases"]) for m in november["months"]] == [("2026-11", 3)]
    one_day = read(client, app, city, "flags", **{"from": "2026-10-31", "to": "2026-10-31"})
    assert one_day["flagged"] == 1


def test_the_busiest_businesses_most_paid_first(
    client: TestClient, app: FastAPI, city: City
) -> None:
    body = read(client, app, city, "businesses")

    assert body == {
        "window": WINDOW,
        "businesses": [
            {
                "id": str(city.ids["cafe"]),
                "name": "Café Hadar",
                "neighbourhood": {"code": "hadar", "name": "Hadar HaCarmel"},
                "category": {"code": "cafe", "name": "Café"},
                "purchases": 3,
                "amount_agorot": 60_000,
                "cashback_agorot": 6_000,
                "residents": 3,
            },
            {
                "id": str(city.ids["grocer"]),
                "name": "Makolet Carmel",
                "neighbourhood": {"code": "carmel_centre", "name": "Carmel Centre"},
                "category": {"code": "grocery", "name": "Grocery"},
                "purchases": 2,
                "amount_agorot": 9_000,
                "cashback_agorot": 1_800,
                "residents": 2,
            },
        ],
    }
    assert [b["name"] for b in read(client, app, city, "businesses", limit=1)["businesses"]] == [
        "Café Hadar"
    ]


def test_flagged_purchases_and_how_they_were_settled(
    client: TestClient, app: FastAPI, city: City
) -> None:
    body = read(client, app, city, "flags")

    assert body == {
        "window": WINDOW,
        "flagged": 2,
        "outcomes": {"open": 0, "dismissed": 1, "confirmed": 1},
        "months": [
            {
                "month": "2026-10",
                "flagged": 1,
                "outcomes": {"open": 0, "dismissed": 1, "confirmed": 0},
            },
            {
                "month": "2026-11",
                "flagged": 1,
                "outcomes": {"open": 0, "dismissed": 0, "confirmed": 1},
            },
        ],
    }


# --- who may read them, and the window ----------------------------------------------------------


def test_names_are_in_the_caller_s_language(client: TestClient, app: FastAPI, city: City) -> None:
    headers = {**auth_headers(app, city.users["admin"]), "Accept-Language": "he"}
    body = client.get("/api/v1/stats/businesses", params=AUTUMN, headers=headers).json()

    assert body["businesses"][0]["neighbourhood"]["name"] == "הדר הכרמל"
    assert body["businesses"][0]["category"]["name"] == "בית קפה"


def test_staff_only(client: TestClient, app: FastAPI, city: City) -> None:
    for route in ROUTES:
        path = f"/api/v1/stats/{route}"
        assert client.get(path).json()["error"] == "not_authenticated", route
        for role in ("resident", "inspector", "merchant"):
            response = client.get(path, headers=auth_headers(app, city.users[role]))
            assert response.status_code == 403, (route, role)
        for role in ("admin", "auditor"):
            response = client.get(path, headers=auth_headers(app, city.users[role]))
            assert response.status_code == 200, (route, role)
            # By default the city months up to today, twelve of them.
            window = response.json()["window"]
            assert window["to"] == city.clock.now().astimezone(ZONE).date().isoformat(), route
            assert len(window["months"]) == 12, route


def test_a_backwards_window_is_refused(client: TestClient, app: FastAPI, city: City) -> None:
    headers = auth_headers(app, city.users["admin"])
    for route in ROUTES:
        response = client.get(
            f"/api/v1/stats/{route}",
            params={"from": "2026-11-02", "to": "2026-11-01"},
            headers=headers,
        )
        assert response.status_code == 422, route
        assert response.json()["error"] == "invalid_window", route
