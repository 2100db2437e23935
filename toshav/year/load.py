"""Loading the year: the stages in order, each with its progress bar, in one transaction.

Volume (residents, purchases, refunds, redemptions, the ledger rows behind them) is written in
bulk, as the services would have written it at the time; what is not volume (businesses,
campaigns and their budgets, the monthly settlements, ended campaigns' unspent budgets) goes
through the services themselves. The same seed on the same day makes the same year.

What the year leaves out, on purpose: the inbox notices and emails the services would have sent
along the way, the audit rows of bulk writes (the services' own calls are audited), the card
tokens' consumed ``jti`` rows, and the free minutes of residents with no car before this month (the
monthly run credits every verified resident; the year credits drivers, and everyone this month, so
the demo's own run for this month finds nothing left to do). Card tokens scanned at a till are not
signed: a purchase's request hash stands on a made-up token.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from benefits.eligibility.repository import RuleVersionRepository
from benefits.eligibility.service.programmes import get_programme
from cashback.models import Campaign
from cashback.repository.campaigns import CampaignRepository
from cashback.service import campaigns as campaign_service
from cashback.service.settlement import settle
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.accounts.passwords import hash_password
from resident_card.accounts.repository import UserRepository
from resident_card.residents.models import Household
from toshav.year.businesses import MARKER, make_businesses, make_campaigns
from toshav.year.calendar import the_year
from toshav.year.cashback import CashbackYear
from toshav.year.city import CityMap
from toshav.year.inserts import Inserts
from toshav.year.ledger import YearLedger
from toshav.year.minutes import ALLOWANCES
from toshav.year.parking import PERMIT_PROGRAMME, ParkingYear
from toshav.year.people import make_people

DEFAULT_SEED = 2026
SQLITE_CACHE_KIB = 1_048_576  # a gigabyte, for this connection while it loads
PROGRAMMES = ("cashback_resident", PERMIT_PROGRAMME, *ALLOWANCES)

Tick = Callable[[int], None]


@contextmanager
def stage(label: str, length: int, *, show: bool, times: dict[str, float]) -> Iterator[Tick]:
    """A progress bar for one stage (nothing shown when not asked, as in tests), timed."""
    started = time.monotonic()
    try:
        if not show:
            yield lambda _n: None
            return
        with click.progressbar(length=max(length, 1), label=f"{label:<14}", show_pos=True) as bar:
            yield bar.update
    finally:
        times[label] = time.monotonic() - started


def year_loaded(session: Session) -> bool:
    return CampaignRepository(session).by_code(MARKER) is not None


def load_year(
    session: Session,
    settings: Settings,
    now: datetime,
    *,
    scale: int,
    seed: int = DEFAULT_SEED,
    show: bool = True,
) -> list[str]:
    """A year of the city's activity for ``scale`` residents; said and left alone when the year is
    already there. Runs in the caller's transaction (after the demo's own data)."""
    if year_loaded(session):
        return [f"year: already there (campaign {MARKER}); nothing changed"]
    if session.get_bind().dialect.name == "sqlite":
        # One long transaction: with SQLite's small default page cache, its index pages would be
        # written to the log again and again (gigabytes of it for 50,000 residents).
        session.execute(text(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
    rng = random.Random(seed)  # noqa: S311 - made-up data, reproducible from its seed

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    zone = ZoneInfo(settings.city_time_zone)
    programmes = [get_programme(session, code) for code in PROGRAMMES]
    year = the_year(now, zone, not_before=max(p.active_from for p in programmes))
    cashback_programme = programmes[0]
    version = RuleVersionRepository(session).at(cashback_programme.id, year.start)
    admin = UserRepository(session).by_username("admin")
    admin_id = admin.id if admin is not None else None
    password_hash = hash_password(settings.demo_password.get_secret_value())
    inserts = Inserts(session)
    ledger = YearLedger(inserts, new_id)
    city = CityMap(session)
    lines = [f"year: {year.months[0].label} to {year.months[-1].label}, seed {seed}"]
    times: dict[str, float] = {}

    with stage("residents", scale, show=show, times=times) as tick:
        people = make_people(
            rng,
            new_id,
            inserts,
            settings,
            year,
            city,
            scale=scale,
            password_hash=password_hash,
            taken_addresses={
                (street_id, number, apartment)
                for street_id, number, apartment in session.execute(
                    select(Household.street_id, Household.house_number, Household.apartment)
                )
            },
            tick=tick,
        )
        inserts.flush()
    lines.append(
        f"year: {len(people.residents)} residents in {people.households} households, "
        f"{people.accounts} sign in (password: the demo password)"
    )
    business_count = max(2 * len(city.populated()), scale // 100)
    with stage("businesses", business_count, show=show, times=times) as tick:
        businesses = make_businesses(
            session,
            rng,
            new_id,
            inserts,
            year,
            city,
            scale=scale,
            password_hash=password_hash,
            admin_id=admin_id,
            tick=tick,
        )
        make_campaigns(session, rng, year, city, scale=scale, admin_id=admin_id)
        session.flush()
    every_campaign = list(session.scalars(select(Campaign).order_by(Campaign.code)))
    ledger.adopt(session, [c.budget_account_id for c in every_campaign])
    lines.append(f"year: {len(businesses)} businesses open, {len(every_campaign)} campaigns")

    cashback = CashbackYear(
        rng,
        new_id,
        inserts,
        ledger,
        year,
        settings,  # type: ignore[arg-type]
        campaigns=every_campaign,
        programme=cashback_programme,
        version=version,
        businesses=businesses,
        admin_id=admin_id,
    )
    cashback.plan(people.residents)
    with stage("cashback", len(cashback.timeline), show=show, times=times) as tick:
        tally = cashback.play(tick)
        inserts.flush()
    ledger.write_figures(session)
    session.expire_all()
    lines.append(
        f"year: {tally.purchases} purchases (₪{tally.purchases_agorot // 100:,}, cashback "
        f"₪{tally.cashback_agorot // 100:,}), {tally.refunds} refunds, "
        f"{tally.redemptions} redemptions, {tally.flags} flags"
    )

    with stage("settlements", len(year.months), show=show, times=times) as tick:
        settled = 0
        for month in year.months:
            settled += len(
                settle(
                    session, settings, period_label=month.label, now=month.end + timedelta(hours=3)
                )
            )
            tick(1)
        for campaign in every_campaign:
            if campaign.ends_at is not None and campaign.ends_at < year.end:
                campaign_service.return_unspent_budgets(
                    session, campaign.id, now=campaign.ends_at + timedelta(hours=1)
                )
        session.flush()
    lines.append(f"year: {settled} monthly statements settled")

    inspectors: list[uuid.UUID] = []
    demo_inspector = UserRepository(session).by_username("inspector")
    if demo_inspector is not None:
        inspectors.append(demo_inspector.id)
    for number in range(max(3, scale // 5_000)):
        inspector_id = new_id()
        inserts.add(
            User,
            {
                "id": inspector_id,
                "created_at": year.start - timedelta(days=30),
                "username": f"inspector{number + 1:03d}",
                "password_hash": password_hash,
                "roles": [Role.inspector.value],
                "is_active": True,
                "display_name": f"Parking inspector {number + 1}",
                "preferred_language": "he",
            },
        )
        inspectors.append(inspector_id)
    inserts.flush()
    parking = ParkingYear(
        session,
        rng,
        new_id,
        inserts,
        ledger,
        year,
        settings,  # type: ignore[arg-type]
        programmes={
            code: (programme, RuleVersionRepository(session).at(programme.id, year.start))
            for code, programme in zip(PROGRAMMES, programmes, strict=True)
            if code != "cashback_resident"
        },
        inspectors=inspectors,
    )
    parking.plan(people.residents, scale)
    parking.this_month(people.residents)
    with stage("parking", len(parking.timeline), show=show, times=times) as tick:
        parked = parking.play(tick)
        parking.write_open_grants()
        inserts.flush()
    ledger.write_figures(session)
    session.expire_all()
    lines.append(
        f"year: {parked.vehicles} vehicles, {parked.permits} permits ({parked.refused} refused), "
        f"{parked.grants} grants of free minutes, {parked.sessions} parking sessions, "
        f"{parked.inspections} inspections"
    )
    lines.append("year: took " + ", ".join(f"{name} {took:.0f} s" for name, took in times.items()))
    return lines
