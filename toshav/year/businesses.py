"""The year's businesses and campaigns, made through the cashback services: businesses in every
neighbourhood and in every category apply (each with a staff login) and a clerk approves them,
more joining as the year goes on; a few wait, and one or two are suspended. The city runs a
campaign for the whole city all year, one for a few neighbourhoods, and seasonal ones by category,
each funded when it starts.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cashback.earning import normalise_registry_number
from cashback.models import BusinessCategory, Campaign, Merchant, MerchantStatus
from cashback.service import campaigns, merchants
from kernel.i18n import Text
from resident_card.accounts.models import Role, User
from resident_card.residents.identifiers import id_number_check_digit
from toshav.year.calendar import Year
from toshav.year.city import CityMap
from toshav.year.inserts import Inserts

NewId = Callable[[], uuid.UUID]
MARKER = "year-city"  # the year's first campaign: there, the year is loaded

CATEGORIES = (
    (BusinessCategory.grocery, 20, "Market"),
    (BusinessCategory.restaurant, 14, "Restaurant"),
    (BusinessCategory.cafe, 14, "Café"),
    (BusinessCategory.clothing, 10, "Fashion"),
    (BusinessCategory.books, 4, "Books"),
    (BusinessCategory.pharmacy, 6, "Pharmacy"),
    (BusinessCategory.hardware, 6, "Hardware"),
    (BusinessCategory.beauty, 10, "Salon"),
    (BusinessCategory.services, 9, "Services"),
    (BusinessCategory.other, 7, "Shop"),
)
OWNERS = ("Cohen", "Haddad", "Levi", "Khoury", "Mizrahi", "Nassar", "Golan", "Saleh", "Katz")


@dataclass
class Business:
    """A business as the year's purchases need it."""

    id: uuid.UUID
    staff_user_id: uuid.UUID
    category: str
    neighbourhood: str
    open_from: datetime  # approved
    open_until: datetime  # suspended, or the year's end
    popularity: float


def _registry_numbers(rng: random.Random, taken: set[str]) -> Callable[[], str]:
    def draw() -> str:
        while True:
            first = f"{rng.randrange(51_000_000, 52_000_000):08d}"
            number = first + str(id_number_check_digit(first))
            if number not in taken and normalise_registry_number(number) == number:
                taken.add(number)
                return number

    return draw


def make_businesses(
    session: Session,
    rng: random.Random,
    new_id: NewId,
    inserts: Inserts,
    year: Year,
    city: CityMap,
    *,
    scale: int,
    password_hash: str,
    admin_id: uuid.UUID | None,
    tick: Callable[[int], None],
) -> list[Business]:
    """Businesses through ``merchants.apply`` and ``change_status``, their staff logins in bulk."""
    codes = city.populated()
    count = max(2 * len(codes), scale // 100)
    taken = set(session.scalars(select(Merchant.registry_number)))
    registry_number = _registry_numbers(rng, taken)
    plans = []
    for index in range(count):
        neighbourhood = codes[index % len(codes)] if index < 2 * len(codes) else rng.choice(codes)
        category, _, word = (
            CATEGORIES[index % len(CATEGORIES)]
            if index < len(CATEGORIES)
            else rng.choices(CATEGORIES, [w for _, w, _ in CATEGORIES])[0]
        )
        # Most were there when the year began; more join every month.
        if rng.random() < 0.55:
            applied = year.start - timedelta(days=rng.uniform(3, 20))
        else:
            month = rng.choice(year.months)
            applied = month.start + timedelta(seconds=rng.random() * 25 * 86_400)
        plans.append((neighbourhood, category, word, applied, new_id()))
    for number, (_, _, _, applied, user_id) in enumerate(plans):
        inserts.add(
            User,
            {
                "id": user_id,
                "created_at": applied,
                "username": f"shop{number + 1:05d}",
                "password_hash": password_hash,
                "roles": [Role.merchant.value],
                "is_active": True,
                "display_name": None,
                "preferred_language": "he",
            },
        )
    inserts.flush()
    made: list[Business] = []
    for neighbourhood, category, word, applied, user_id in plans:
        place = city.place_in(rng, neighbourhood)
        merchant = merchants.apply(
            session,
            merchants.Application(
                registry_number=registry_number(),
                name=f"{word} {rng.choice(OWNERS)} {place.house_number}",
                category=category,
                street_code=place.street_code,
                house_number=place.house_number,
            ),
            actor_id=user_id,
            as_staff=True,
            now=applied,
        )
        approved = applied + timedelta(days=rng.uniform(1, 6))
        tick(1)
        if approved >= year.end - timedelta(days=2) or rng.random() < 0.03:
            continue  # still waiting for a clerk
        merchants.change_status(
            session,
            merchant.id,
            to=MerchantStatus.approved,
            reason="registry and address checked",
            actor_id=admin_id,
            now=approved,
        )
        until = year.end
        if rng.random() < 0.02:
            until = approved + (year.end - approved) * rng.uniform(0.3, 0.9)
            merchants.change_status(
                session,
                merchant.id,
                to=MerchantStatus.suspended,
                reason="complaints from residents, under review",
                actor_id=admin_id,
                now=until,
            )
        made.append(
            Business(
                merchant.id,
                user_id,
                category.value,
                neighbourhood,
                approved,
                until,
                rng.lognormvariate(0, 0.8),
            )
        )
    return made


@dataclass(frozen=True)
class CampaignPlan:
    code: str
    names: Text
    rate_bp: int
    first_month: int
    last_month: int | None  # the month it ends after (None: runs on)
    budget_per_resident: int  # agorot
    categories: tuple[BusinessCategory, ...] = ()
    neighbourhoods: int = 0  # how many neighbourhoods (0: all)
    cap_per_purchase: int | None = None
    cap_per_month: int | None = None
    cap_per_day_here: int | None = None
    minimum: int = 0


CAMPAIGNS = (
    CampaignPlan(
        MARKER,
        {"he": "קונים בשכונה", "ar": "نتسوّق في الحيّ", "en": "Shop in the neighbourhood"},
        500,
        0,
        None,
        1_100,
        cap_per_purchase=2_500,
        cap_per_month=10_000,
        cap_per_day_here=4_000,
        minimum=1_000,
    ),
    CampaignPlan(
        "year-revival",
        {"he": "מחיים את המרכז", "ar": "نُحيي المركز", "en": "Reviving the centre"},
        1000,
        2,
        8,
        300,
        neighbourhoods=3,
        cap_per_purchase=4_000,
        cap_per_month=12_000,
    ),
    CampaignPlan(
        "year-summer-evenings",
        {"he": "ערבי קיץ", "ar": "أمسيات الصيف", "en": "Summer evenings"},
        800,
        6,
        8,
        150,
        categories=(BusinessCategory.cafe, BusinessCategory.restaurant, BusinessCategory.books),
        cap_per_purchase=3_000,
        cap_per_month=9_000,
    ),
    CampaignPlan(
        "year-winter-basket",
        {"he": "סל החורף", "ar": "سلة الشتاء", "en": "Winter basket"},
        700,
        0,
        3,
        150,
        categories=(BusinessCategory.grocery, BusinessCategory.pharmacy),
        cap_per_purchase=2_000,
        cap_per_month=8_000,
    ),
)


def make_campaigns(
    session: Session,
    rng: random.Random,
    year: Year,
    city: CityMap,
    *,
    scale: int,
    admin_id: uuid.UUID | None,
) -> list[Campaign]:
    """The year's campaigns through ``create_campaign``, each funded by ``top_up`` at its start."""
    made = []
    last = len(year.months) - 1
    for plan in CAMPAIGNS:
        first = min(plan.first_month, last)
        starts = year.months[first].start
        ends = year.months[min(plan.last_month, last)].end if plan.last_month is not None else None
        if ends is not None and ends >= year.end:
            ends = None
        where = tuple(sorted(rng.sample(city.populated(), plan.neighbourhoods)))
        campaign = campaigns.create_campaign(
            session,
            campaigns.CampaignTerms(
                code=plan.code,
                names=plan.names,
                rate_bp=plan.rate_bp,
                starts_at=starts,
                ends_at=ends,
                min_purchase_agorot=plan.minimum,
                cap_per_purchase_agorot=plan.cap_per_purchase,
                cap_per_resident_month_agorot=plan.cap_per_month,
                cap_per_resident_business_day_agorot=plan.cap_per_day_here,
                categories=plan.categories,
                neighbourhoods=where,
            ),
            actor_id=admin_id,
            now=starts - timedelta(days=7),
        )
        campaigns.top_up(
            session,
            campaign.id,
            amount_agorot=max(10_000, plan.budget_per_resident * scale),
            reason="the year's budget",
            idempotency_key="year",
            actor_id=admin_id,
            now=starts - timedelta(days=1),
        )
        made.append(campaign)
    return made
