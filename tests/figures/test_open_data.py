"""The open data over a small city of the test's own, on both databases: the numbers by hand,
the small ones hidden with the figures that would give them away, the package valid by
``frictionless validate``, and the API answering the same numbers as the export.

k is 3 here. Last month: four residents bought at a café in Hadar, one (twice) at a grocery in
Hadar, five at a grocery in Carmel Centre; three Hadar residents were granted permits, four used
30 free minutes each; three plates were inspected in Hadar's zone and one in Carmel's. The month
before, three residents bought at the café.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time as wall
import uuid
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision, Programme
from benefits.eligibility.service.programme_files import load_programmes
from cashback.models import BusinessCategory, Merchant, Purchase
from figures.manifest import MANIFEST
from figures.open_data import package, service, sources
from figures.open_data.models import OpenDataRelease
from figures.open_data.service import ALL, Publication, _sums
from figures.open_data.sources import Grain
from figures.open_data.tasks import PUBLISH_OPEN_DATA
from kernel.schedule import Job, JobContext
from parking.models import Inspection, ParkingSession, ParkingZone, Permit, Vehicle
from parking.service import zones
from resident_card.accounts.models import Role, User
from resident_card.city.service import load_city, street_by_code
from resident_card.residents.models import Resident
from tests.cashback.conftest import make_business, make_campaign
from tests.conftest import IN_TRANSACTION, Backend, FreshDatabase, make_settings
from tests.factories import create_resident, create_user
from tests.figures.worked_out import worked_out
from toshav.cli import main
from toshav.settings import ServiceSettings, get_settings

ZONE = ZoneInfo("Asia/Jerusalem")


@pytest.fixture
def settings(backend: Backend, tmp_path: Path) -> ServiceSettings:
    return make_settings(backend.url, tmp_path, **IN_TRANSACTION, open_data_k=3)


def _months_ago(today: date, months: int) -> datetime:
    """Noon on the 15th of the city month ``months`` before ``today``'s."""
    index = today.year * 12 + today.month - 1 - months
    return datetime.combine(date(index // 12, index % 12 + 1, 15), time(12), ZONE).astimezone(UTC)


def _label(at: datetime) -> str:
    return at.astimezone(ZONE).strftime("%Y-%m")


class City:
    def __init__(self, session: Session, settings: ServiceSettings, now: datetime) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.staff: User | None = None
        self.campaign_id: uuid.UUID | None = None

    def resident(self, street: str, house_number: int) -> Resident:
        found = street_by_code(self.session, street)
        assert found is not None
        return create_resident(
            self.session, self.settings, street=found, house_number=house_number, now=self.now
        )

    def buy(self, who: Resident, merchant: Merchant, at: datetime, amount: int) -> None:
        assert self.staff is not None
        assert self.campaign_id is not None
        self.session.add(
            Purchase(
                merchant_id=merchant.id,
                campaign_id=self.campaign_id,
                resident_id=who.id,
                staff_user_id=self.staff.id,
                idempotency_key=uuid.uuid4().hex,
                request_hash="0" * 64,
                amount_agorot=amount,
                receipt=uuid.uuid4().hex[:12],
                cashback_agorot=amount // 10,
                rate_bp=1000,
                explanation=[],
                available_at=at,
                created_at=at,
            )
        )


@pytest.fixture
def city(session: Session, settings: ServiceSettings, clock: Any) -> City:
    now: datetime = clock.now()
    today = now.astimezone(ZONE).date()
    last, before = _months_ago(today, 1), _months_ago(today, 2)
    load_city(session)
    zones.import_demo_zones(session)
    load_programmes(session, now=now, zone=ZONE)
    made = City(session, settings, now - timedelta(days=400))
    cafe, made.staff = make_business(session, settings, now=now, house_number=20)
    hadar_grocery, _ = make_business(
        session, settings, now=now, category=BusinessCategory.grocery, house_number=30
    )
    carmel_grocery, _ = make_business(
        session,
        settings,
        now=now,
        category=BusinessCategory.grocery,
        street_code="moriah",
        house_number=10,
    )
    made.campaign_id = make_campaign(session, now=now, budget=0).id
    hadar = [made.resident("herzl", 15) for _ in range(5)]
    carmel = [made.resident("moriah", 20) for _ in range(5)]
    for who in hadar[:4]:
        made.buy(who, cafe, last, 1_000)
    made.buy(hadar[4], hadar_grocery, last, 500)
    made.buy(hadar[4], hadar_grocery, last + timedelta(days=1), 500)
    for who in carmel:
        made.buy(who, carmel_grocery, last, 2_000)
    for who in hadar[:3]:
        made.buy(who, cafe, before, 700)
    # Parking: permits, free time and inspections.
    programme = session.query(Programme).filter_by(code="resident_parking_permit").one()
    inspector = create_user(session, settings, role=Role.inspector)
    zone_id = session.query(ParkingZone.id).filter_by(code="hadar_west").scalar()
    for i, who in enumerate(hadar[:4]):
        plate = f"1234{i:03d}"
        vehicle = Vehicle(plate=plate, resident_id=who.id, relation="owner")
        session.add(vehicle)
        session.flush()
        session.add(
            ParkingSession(
                resident_id=who.id,
                vehicle_id=vehicle.id,
                plate=plate,
                zone_id=zone_id,
                started_at=last,
                stopped_at=last + timedelta(minutes=45),
                minutes=45,
                free_minutes=30,
                paid_minutes=15,
            )
        )
        if i < 3:
            decision = Decision(
                programme_id=programme.id,
                resident_id=who.id,
                facts={},
                outcome="eligible",
                reasons=[],
                decided_at=last,
            )
            session.add(decision)
            session.flush()
            session.add(
                Permit(
                    resident_id=who.id,
                    vehicle_id=vehicle.id,
                    plate=plate,
                    zone_id=zone_id,
                    status="granted",
                    decision_id=decision.id,
                    valid_from=last,
                    valid_to=last + timedelta(days=365),
                )
            )
    for plate, zone in (
        ("7000001", "hadar_west"),
        ("7000002", "hadar_west"),
        ("7000003", "hadar_west"),
        ("7000004", "carmel"),
    ):
        session.add(
            Inspection(
                inspector_id=inspector.id,
                at=last,
                method="plate",
                plate=plate,
                zone_code=zone,
                allowed=True,
                reason="permit",
            )
        )
    session.flush()
    return made


def _row(publication: Publication, resource: str, key: tuple[str, str, str | None]) -> service.Row:
    table = publication.table(resource)
    assert table is not None
    return next(r for r in table.rows if (r.neighbourhood, r.month, r.category) == key)


def _truth(
    session: Session, publication: Publication, resource: str, measure: str
) -> dict[Hashable, int]:
    """Every figure of a resource as it truly is (the source read at each grain, zeros filled)."""
    table = publication.table(resource)
    assert table is not None
    source = table.source
    figures: dict[Hashable, int] = {(r.neighbourhood, r.month, r.category): 0 for r in table.rows}
    grains = [
        Grain(n, c)
        for n in (True, False)
        for c in ((True, False) if source.categories else (False,))
    ]
    for grain in grains:
        for row in source.rows(session, publication.window, grain):
            key = (
                row.neighbourhood if grain.by_neighbourhood else ALL,
                row.month,
                (row.category if grain.by_category else ALL) if source.categories else None,
            )
            figures[key] = row.values[measure]
    return figures


def test_the_figures_by_hand_the_small_ones_hidden_and_none_worked_out(
    city: City, session: Session, settings: ServiceSettings, clock: Any
) -> None:
    today = clock.now().astimezone(ZONE).date()
    publication = service.publish(session, settings, today)
    last = _label(_months_ago(today, 1))
    before = _label(_months_ago(today, 2))
    assert publication.months[-1] == last
    assert len(publication.months) == 12
    assert _label(clock.now()) not in publication.months  # the month under way waits its end
    assert [t.source.resource for t in publication.tables] == [
        "permits",
        "free_time",
        "inspections",
        "cashback",
    ]

    city_month = _row(publication, "cashback", (ALL, last, ALL))
    assert city_month.values == {
        "purchases": 11,
        "purchases_agorot": 15_000,
        "cashback_agorot": 1_500,
    }
    assert city_month.people == 10
    assert _row(publication, "cashback", ("hadar", last, "grocery")).suppressed  # one person
    cashback = publication.table("cashback")
    assert cashback is not None
    # Three cells with purchases: Hadar's grocery (one person) hides, and with it every figure
    # that would give it away in so small a city: only the city's total stands.
    assert {
        (r.neighbourhood, r.category) for r in cashback.rows if r.suppressed and r.month == last
    } == {
        ("hadar", "grocery"),
        ("hadar", "cafe"),
        ("hadar", ALL),
        ("carmel_centre", "grocery"),
        ("carmel_centre", ALL),
        (ALL, "cafe"),
        (ALL, "grocery"),
    }
    assert _row(publication, "cashback", ("hadar", before, "cafe")).values == {
        "purchases": 3,
        "purchases_agorot": 2_100,
        "cashback_agorot": 210,
    }
    assert _row(publication, "cashback", ("bat_galim", before, "cafe")).values == {
        "purchases": 0,
        "purchases_agorot": 0,
        "cashback_agorot": 0,
    }
    assert _row(publication, "permits", ("hadar", last, None)).values == {"permits": 3}
    assert _row(publication, "free_time", ("hadar", last, None)).values == {
        "free_minutes_used": 120
    }
    assert _row(publication, "free_time", ("hadar", last, None)).people == 4
    # One plate in Carmel Centre: hidden, and Hadar's three with it, or the city's four tell.
    assert _row(publication, "inspections", ("carmel_centre", last, None)).suppressed
    assert _row(publication, "inspections", ("hadar", last, None)).suppressed
    assert _row(publication, "inspections", (ALL, last, None)).values == {"inspections": 4}

    codes = [place.code for place in publication.places]
    for table in publication.tables:
        source = table.source
        truth = _truth(session, publication, source.resource, source.measures[0].name)
        hidden = {(r.neighbourhood, r.month, r.category) for r in table.rows if r.suppressed}
        for row in table.rows:  # what is published is the truth
            if row.values is not None:
                key = (row.neighbourhood, row.month, row.category)
                assert row.values[source.measures[0].name] == truth[key]
        for month in publication.months:
            sums = _sums(month, codes, source.categories)
            for relation in sums:  # every total is the sum of its rows, hidden or not
                assert truth[relation.total] == sum(truth[p] for p in relation.parts)
            in_month = {key for key in hidden if key[1] == month}
            assert worked_out(truth, sums, in_month) == [], (source.resource, month)


def test_the_export_is_a_valid_data_package_and_the_api_answers_the_same(
    backend: Backend,
    city: City,
    session: Session,
    settings: ServiceSettings,
    clock: Any,
    client: TestClient,
    tmp_path: Path,
) -> None:
    publication = service.publish(session, settings, clock.now().astimezone(ZONE).date())
    folder = tmp_path / "open-data"
    package.write(publication, folder)
    # The same data makes the same files on either database (the API is compared with them below):
    # validated once, on SQLite, where the suite's time is cheaper.
    if backend.name == "sqlite":
        frictionless = Path(sys.executable).with_name("frictionless")
        checked = subprocess.run(  # noqa: S603 - the venv's own command
            [str(frictionless), "validate", str(folder / package.DESCRIPTOR)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr

    described = client.get("/api/v1/open-data/")
    assert described.status_code == 200
    assert described.headers["cache-control"].startswith("public")
    names = [r["name"] for r in described.json()["resources"]]
    assert names == ["neighbourhoods", "permits", "free_time", "inspections", "cashback"]
    assert described.json()["licenses"][0]["name"] == "ODC-PDDL-1.0"
    again = client.get("/api/v1/open-data/", headers={"If-None-Match": described.headers["etag"]})
    assert again.status_code == 304

    as_csv = client.get("/api/v1/open-data/cashback.csv")
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content == (folder / "cashback.csv").read_bytes()
    as_json = client.get("/api/v1/open-data/inspections.json").json()
    carmel = next(
        r for r in as_json if r["neighbourhood"] == "carmel_centre" and r["inspections"] is None
    )
    assert carmel["suppressed"] is True
    assert carmel["people"] is None

    hadar = client.get("/api/v1/open-data/neighbourhoods/hadar", headers={"Accept-Language": "he"})
    assert hadar.status_code == 200
    body = hadar.json()
    assert body["neighbourhood"]["name"] == "הדר הכרמל"
    assert body["k"] == 3
    permits = next(r for r in body["resources"] if r["resource"] == "permits")
    assert {
        "month": publication.months[-1],
        "category": None,
        "values": {"permits": 3},
        "people": 3,
        "suppressed": False,
    } in permits["rows"]

    for missing in ("/api/v1/open-data/nothing.csv", "/api/v1/open-data/nothing.json"):
        answer = client.get(missing)
        assert answer.status_code == 404
        assert answer.json()["error"] == "unknown_resource"
    # What the neighbourhood's page lists beside its figures: parking's zones and cashback's
    # businesses there (the approved ones).
    zones_there = client.get("/api/v1/parking/zones", params={"neighbourhood": "hadar"}).json()
    assert "hadar_west" in [zone["code"] for zone in zones_there]
    assert "carmel" not in [zone["code"] for zone in zones_there]
    listed = client.get("/api/v1/cashback/businesses", params={"neighbourhood": "hadar"}).json()
    assert sorted(b["category"] for b in listed) == ["cafe", "grocery"]
    assert listed[0]["address"].startswith("Herzl ")
    answer = client.get("/api/v1/open-data/neighbourhoods/nowhere")
    assert answer.status_code == 404
    assert answer.json()["error"] == "unknown_neighbourhood"


def test_a_domain_switched_off_publishes_nothing(
    session: Session, settings: ServiceSettings, clock: Any
) -> None:
    sources.install([])
    load_city(session)
    publication = service.publish(session, settings, clock.now().astimezone(ZONE).date())
    assert publication.tables == ()
    assert [r["name"] for r in package.descriptor(publication)["resources"]] == ["neighbourhoods"]


def test_the_command_writes_the_package(
    fresh_database: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOSHAV_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        with fresh_database.session() as db:
            load_city(db)
            db.commit()
        folder = tmp_path / "export"
        written = CliRunner().invoke(main, ["open-data", "export", str(folder), "--language", "en"])
        published = CliRunner().invoke(main, ["open-data", "publish", "--language", "en"])
    finally:
        get_settings.cache_clear()
    assert published.exit_code == 0, published.output
    assert published.output.startswith("Published the open data: 4 resources, ")
    with fresh_database.session() as db:
        assert db.query(OpenDataRelease).count() == 1
    assert written.exit_code == 0, written.output
    assert written.output.startswith("Wrote 11 files to ")
    descriptor = json.loads((folder / package.DESCRIPTOR).read_text("utf-8"))
    assert [r["path"] for r in descriptor["resources"]] == [
        "neighbourhoods.csv",
        "permits.csv",
        "free_time.csv",
        "inspections.csv",
        "cashback.csv",
    ]
    assert (folder / "cashback.json").is_file()


def test_a_process_keeps_its_publication_for_a_while(
    session: Session, settings: ServiceSettings, clock: Any
) -> None:
    load_city(session)
    today = clock.now().astimezone(ZONE).date()
    kept = settings.model_copy(update={"open_data_cache_seconds": 60})
    first = service.publish(session, kept, today)
    assert service.publish(session, kept, today) is first
    assert service.publish(session, settings, today) is not first  # 0: made afresh
    other_k = kept.model_copy(update={"open_data_k": 4})
    assert service.publish(session, other_k, today).k == 4


def _cashback_rows(publication: Publication) -> list[tuple[object, ...]]:
    table = publication.table("cashback")
    assert table is not None
    return [(r.neighbourhood, r.month, r.category, r.values, r.people) for r in table.rows]


def test_requests_answer_from_the_night_s_release_until_the_next(
    city: City, session: Session, settings: ServiceSettings, clock: Any
) -> None:
    now: datetime = clock.now()
    today = now.astimezone(ZONE).date()
    job = next(j for j in MANIFEST.jobs if isinstance(j, Job) and j.name == PUBLISH_OPEN_DATA.name)
    key, start = job.cadence.period(now.astimezone(ZONE).replace(tzinfo=None))
    context = JobContext(settings, now, key, start, transactions=lambda work: work(session))
    counts = job.run(context)
    assert counts["resources"] == 4
    assert counts["suppressed"] > 0
    released = service.publish(session, settings, today)
    # Five more Carmel residents buy at the café last month, after the night's run: what is
    # published stays the release's until the next one, which has them.
    cafe = session.query(Merchant).filter(Merchant.category == BusinessCategory.cafe).first()
    assert cafe is not None
    last = _months_ago(today, 1)
    for _ in range(5):
        city.buy(city.resident("moriah", 20), cafe, last, 3_000)
    session.flush()
    assert _cashback_rows(service.publish(session, settings, today)) == _cashback_rows(released)
    service.make_release(session, settings, now + timedelta(hours=1))
    renewed = service.publish(session, settings, today)
    assert _cashback_rows(renewed) != _cashback_rows(released)
    assert _cashback_rows(renewed) == _cashback_rows(service._publish(session, settings, today))
    # Another k is another publication: worked out, not the release of k=3.
    other = settings.model_copy(update={"open_data_k": 4})
    assert service.publish(session, other, today).k == 4


@pytest.mark.postgres_only
def test_two_releases_made_at_once_leave_one_and_fail_neither(
    fresh_database: FreshDatabase,
) -> None:
    """The worker's night run and `toshav open-data publish` at the same moment: the second
    stores its release while the first's is written but not yet committed, waits for it, and
    keeps it rather than failing on the release's key."""
    settings = fresh_database.settings
    now = datetime.now(UTC)
    with fresh_database.session() as db:
        load_city(db)
        db.commit()
    first = fresh_database.session()
    try:
        service.make_release(first, settings, now)  # written, not committed: its key is taken

        def second() -> None:
            with fresh_database.session() as db:
                service.make_release(db, settings, now + timedelta(seconds=1))
                db.commit()

        with ThreadPoolExecutor(max_workers=1) as pool:
            other = pool.submit(second)
            wall.sleep(1.0)  # the second is waiting on the first's key
            assert not other.done()
            first.commit()
            other.result(timeout=30)
    finally:
        first.close()
    with fresh_database.session() as db:
        (kept,) = db.query(OpenDataRelease).all()
    assert kept.made_at == now
