"""Builders for cashback tests: the city's streets and programmes, businesses with staff, funded
campaigns, residents with cards, and fresh card tokens (as a resident's phone would show)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benefits.eligibility.service.programme_files import load_programmes
from benefits.ledger.service.balances import Balance, get_balance
from cashback.models import BusinessCategory, Campaign, Merchant, MerchantStatus
from cashback.service import accounts, campaigns, merchants
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.cards import service as cards
from resident_card.city.service import load_city
from resident_card.credentials import service as credentials
from resident_card.credentials.service import Keyring
from resident_card.residents.models import Resident
from tests.factories import create_resident, create_user, israeli_id
from toshav.settings import ServiceSettings

ZONE = ZoneInfo("Asia/Jerusalem")
_registry_seeds = itertools.count(uuid.uuid4().int % 10**6 * 10)


def registry_number() -> str:
    """A valid business registry number (9 digits, check digit right), new each time."""
    return israeli_id(next(_registry_seeds) + 50_000_000)


def prepare_city(session: Session, settings: Settings, now: datetime) -> None:
    """The bundled streets, the programme files, and a key that signs card tokens."""
    load_city(session)
    load_programmes(session, now=now, zone=ZONE)
    credentials.rotate_key(
        session, settings, now=now - timedelta(hours=1), activate_in=timedelta(0)
    )
    session.flush()


def make_business(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    status: MerchantStatus = MerchantStatus.approved,
    category: BusinessCategory = BusinessCategory.cafe,
    street_code: str = "herzl",
    house_number: int = 20,
    name: str = "Café Hadar",
) -> tuple[Merchant, User]:
    """A business in the scheme and its first staff account (role merchant)."""
    staff = create_user(session, settings, role=Role.merchant)
    merchant = merchants.apply(
        session,
        merchants.Application(registry_number(), name, category, street_code, house_number),
        actor_id=staff.id,
        as_staff=True,
        now=now,
    )
    if status != MerchantStatus.pending:
        path = {
            MerchantStatus.approved: [MerchantStatus.approved],
            MerchantStatus.suspended: [MerchantStatus.approved, MerchantStatus.suspended],
            MerchantStatus.rejected: [MerchantStatus.rejected],
        }[status]
        for step in path:
            merchants.change_status(
                session, merchant.id, to=step, reason="test", actor_id=None, now=now
            )
    return merchant, staff


def make_campaign(
    session: Session,
    *,
    now: datetime,
    budget: int = 1_000_000,
    rate_bp: int = 1000,
    code: str | None = None,
    **terms: Any,
) -> Campaign:
    """A running campaign (from an hour ago), its budget funded with ``budget`` agorot."""
    campaign = campaigns.create_campaign(
        session,
        campaigns.CampaignTerms(
            code=code or f"c-{uuid.uuid4().hex[:10]}",
            names={"he": "קאשבק", "ar": "كاش باك", "en": "Cash back"},
            rate_bp=rate_bp,
            starts_at=now - timedelta(hours=1),
            **terms,
        ),
        actor_id=None,
        now=now,
    )
    if budget:
        campaigns.top_up(
            session,
            campaign.id,
            amount_agorot=budget,
            reason="test budget",
            idempotency_key=uuid.uuid4().hex,
            actor_id=None,
            now=now,
        )
    return campaign


def card_holder(session: Session, settings: Settings, **overrides: Any) -> Resident:
    """A verified adult resident (a day back) with a card."""
    resident = create_resident(session, settings, **overrides)
    return resident


def card_token(
    session: Session, settings: Settings, keyring: Keyring, resident: Resident, now: datetime
) -> str:
    """A fresh token of the resident's card, as their phone's QR would show."""
    card = cards.current_card(session, settings, resident, now=now)
    assert card is not None
    return cards.mint_token(session, settings, keyring, card, resident, now=now).token


def cashback_balance(session: Session, resident: Resident, now: datetime) -> Balance:
    wallet = accounts.lock_wallet(session, resident.id)
    return get_balance(session, wallet.cashback_account_id, now=now)


def count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@dataclass
class Shop:
    """An approved business with a funded 10% campaign, and a resident at the till."""

    merchant: Merchant
    staff: User
    campaign: Campaign
    resident: Resident
    keyring: Keyring
    settings: ServiceSettings
    session: Session

    def token(self, now: datetime, resident: Resident | None = None) -> str:
        return card_token(self.session, self.settings, self.keyring, resident or self.resident, now)


@pytest.fixture
def shop(session: Session, settings: ServiceSettings, clock: Any) -> Shop:
    now = clock.now()
    prepare_city(session, settings, now)
    merchant, staff = make_business(session, settings, now=now)
    campaign = make_campaign(session, now=now)
    resident = card_holder(session, settings)
    return Shop(merchant, staff, campaign, resident, Keyring(settings), settings, session)
