"""Demo cashback for ``toshav demo load``: an approved café on Herzl whose staff is the ``merchant``
user, and a running 10% campaign with a funded budget that the ``resident`` user is eligible for.
Running it again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cashback.models import BusinessCategory, MerchantStatus
from cashback.repository.campaigns import CampaignRepository
from cashback.repository.merchants import MerchantRepository
from cashback.service import campaigns, merchants
from kernel.settings import Settings
from resident_card.accounts.repository import UserRepository
from resident_card.city import service as city

DEMO_REGISTRY_NUMBER = "515040012"  # made up; its check digit is right
DEMO_BUSINESS = "Café Hadar"
DEMO_CAMPAIGN = "haifa-cashback"
DEMO_BUDGET_AGOROT = 1_000_000  # ₪10,000


def load_demo(session: Session, settings: Settings, now: datetime) -> list[str]:
    user = UserRepository(session).by_username("merchant")
    if user is None:
        return ["cashback: no demo merchant user, skipped"]
    if city.street_by_code(session, "herzl") is None:
        return ["cashback: the city's streets are not loaded, skipped"]
    lines: list[str] = []
    if MerchantRepository(session).merchant_of_staff(user.id) is None:
        merchant = merchants.apply(
            session,
            merchants.Application(
                registry_number=DEMO_REGISTRY_NUMBER,
                name=DEMO_BUSINESS,
                category=BusinessCategory.cafe,
                street_code="herzl",
                house_number=20,
            ),
            actor_id=user.id,
            as_staff=True,
            now=now,
        )
        merchants.change_status(
            session,
            merchant.id,
            to=MerchantStatus.approved,
            reason="demo data",
            actor_id=None,
            now=now,
        )
        lines.append(f"cashback: {DEMO_BUSINESS} (Herzl 20, Hadar), approved, staff: merchant")
    else:
        lines.append("cashback: the demo business is already there")
    if CampaignRepository(session).by_code(DEMO_CAMPAIGN) is None:
        campaign = campaigns.create_campaign(
            session,
            campaigns.CampaignTerms(
                code=DEMO_CAMPAIGN,
                names={
                    "he": "חיפה קאשבק",
                    "ar": "حيفا كاش باك",
                    "en": "Haifa Cash Back",
                },
                rate_bp=1000,
                starts_at=datetime(now.year, 1, 1, tzinfo=UTC),
                cap_per_purchase_agorot=5_000,
                cap_per_resident_month_agorot=20_000,
                cap_per_resident_business_day_agorot=10_000,
            ),
            actor_id=None,
            now=now,
        )
        campaigns.top_up(
            session,
            campaign.id,
            amount_agorot=DEMO_BUDGET_AGOROT,
            reason="demo budget",
            idempotency_key="demo",
            actor_id=None,
            now=now,
        )
        lines.append("cashback: campaign Haifa Cash Back, 10%, budget ₪10,000")
    else:
        lines.append("cashback: the demo campaign is already there")
    return lines


def logins_lines(session: Session, settings: Settings, now: datetime) -> list[str]:
    """What ``toshav demo logins`` adds for cashback."""
    return [f"  merchant   staff of {DEMO_BUSINESS}: the till is at /till"]
