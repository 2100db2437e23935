"""Campaigns: their terms, budgets funded by top-ups, a clerk's changes, pausing and ending them,
and which campaigns cover a business.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import ProgrammeNotFound
from benefits.eligibility.service.city_clock import city_zone
from benefits.eligibility.service.decisions import is_eligible
from benefits.eligibility.service.programmes import get_programme
from benefits.ledger.exceptions import InsufficientBalance
from benefits.ledger.models import OwnerType, Transaction, Unit
from benefits.ledger.service.accounts import get_or_create_account, lock_accounts
from benefits.ledger.service.balances import Balance, get_balances
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction, post_transaction_once
from cashback.exceptions import (
    CampaignEnded,
    CampaignExists,
    CampaignNotFound,
    CampaignNotPaused,
    CampaignPaused,
    InvalidCampaign,
)
from cashback.models import BusinessCategory, Campaign, Merchant, MerchantStatus
from cashback.repository.campaigns import CampaignRepository
from cashback.repository.merchants import MerchantRepository
from cashback.service import accounts, budgets, checks, merchants
from kernel.i18n import Text
from resident_card.audit import service as audit
from resident_card.city import service as city
from resident_card.residents.service import records as residents

CASHBACK_PROGRAMME = "cashback_resident"


@dataclass(frozen=True)
class CampaignTerms:
    code: str
    names: Text
    rate_bp: int
    starts_at: datetime
    ends_at: datetime | None = None
    min_purchase_agorot: int = 0
    cap_per_purchase_agorot: int | None = None
    cap_per_resident_month_agorot: int | None = None
    cap_per_resident_business_day_agorot: int | None = None
    categories: tuple[BusinessCategory, ...] = ()
    neighbourhoods: tuple[str, ...] = ()
    programme_code: str = CASHBACK_PROGRAMME


def create_campaign(
    session: Session, terms: CampaignTerms, *, actor_id: uuid.UUID | None, now: datetime
) -> Campaign:
    """A campaign and its budget account (empty until a top-up). Audited."""
    repository = CampaignRepository(session)
    if repository.by_code(terms.code) is not None:
        raise CampaignExists(campaign=terms.code)
    if terms.ends_at is not None and terms.ends_at <= terms.starts_at:
        raise InvalidCampaign(problem="ends_at must be after starts_at")
    try:
        get_programme(session, terms.programme_code)
    except ProgrammeNotFound as exc:
        raise InvalidCampaign(problem=f"no programme {terms.programme_code[:50]!r}") from exc
    known = {n.code for n in city.list_neighbourhoods(session)}
    unknown = sorted(set(terms.neighbourhoods) - known)
    if unknown:
        raise InvalidCampaign(problem="unknown neighbourhoods: " + ", ".join(unknown[:5]))
    campaign_id = uuid.uuid4()
    budget = get_or_create_account(
        session,
        owner_type=OwnerType.campaign,
        owner_id=campaign_id,
        purpose=accounts.BUDGET,
        unit=Unit.ILS,
    )
    campaign = repository.add(
        Campaign(
            id=campaign_id,
            created_at=now,
            code=terms.code,
            name_he=terms.names["he"],
            name_ar=terms.names["ar"],
            name_en=terms.names["en"],
            rate_bp=terms.rate_bp,
            min_purchase_agorot=terms.min_purchase_agorot,
            cap_per_purchase_agorot=terms.cap_per_purchase_agorot,
            cap_per_resident_month_agorot=terms.cap_per_resident_month_agorot,
            cap_per_resident_business_day_agorot=terms.cap_per_resident_business_day_agorot,
            categories=sorted(c.value for c in terms.categories),
            neighbourhoods=sorted(set(terms.neighbourhoods)),
            programme_code=terms.programme_code,
            starts_at=terms.starts_at,
            ends_at=terms.ends_at,
            budget_account_id=budget.id,
            created_by=actor_id,
        )
    )
    budgets.make_stripes(session, campaign)
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.campaign.create",
        subject_type="cashback_campaign",
        subject_id=campaign.id,
        after={
            "code": campaign.code,
            "rate_bp": campaign.rate_bp,
            "starts_at": campaign.starts_at.isoformat(),
            "ends_at": campaign.ends_at.isoformat() if campaign.ends_at else None,
        },
    )
    return campaign


def get_campaign(session: Session, campaign_id: uuid.UUID) -> Campaign:
    campaign = CampaignRepository(session).get(campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    return campaign


def list_campaigns(session: Session, *, limit: int, offset: int) -> Sequence[Campaign]:
    return CampaignRepository(session).list(limit=limit, offset=offset)


def campaigns_by_id(
    session: Session, campaign_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Campaign]:
    return CampaignRepository(session).by_ids(campaign_ids)


def budget_of(session: Session, campaign: Campaign, *, now: datetime) -> Balance:
    """The campaign's whole budget now: its budget account and its stripes together."""
    return budgets.budgets_of(session, [campaign], now=now)[campaign.id]


def budgets_of(
    session: Session, campaigns: Sequence[Campaign], *, now: datetime
) -> dict[uuid.UUID, Balance]:
    """Each campaign's whole budget now, by campaign."""
    return budgets.budgets_of(session, campaigns, now=now)


def top_up(
    session: Session,
    campaign_id: uuid.UUID,
    *,
    amount_agorot: int,
    reason: str,
    idempotency_key: str,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> tuple[Transaction, bool]:
    """The city funds a campaign's budget. Audited once; the same key again returns the first.
    An ended campaign takes no more money (``campaign_ended``)."""
    campaign = _campaign_to_manage(session, campaign_id, now=now)
    checks.check_amount(amount_agorot)
    funding = accounts.city_account(session, accounts.FUNDING, allow_negative=True)
    before = budget_of(session, campaign, now=now).posted
    transaction, created = post_transaction_once(
        session,
        idempotency_key=f"cashback:top-up:{campaign.id}:{idempotency_key}",
        kind="cashback_top_up",
        postings=[
            PostingInput(funding.id, -amount_agorot),
            PostingInput(campaign.budget_account_id, amount_agorot),
        ],
        reference=f"campaign:{campaign.id}",
        metadata={"reason": reason},
        created_by=actor_id,
        now=now,
    )
    if created:
        audit.record(
            session,
            actor_id=actor_id,
            action="cashback.campaign.top_up",
            subject_type="cashback_campaign",
            subject_id=campaign.id,
            before={"budget": before},
            after={
                "budget": before + amount_agorot,
                "amount": amount_agorot,
                "transaction_id": str(transaction.id),
            },
            reason=reason,
        )
    return transaction, created


# --- managing a campaign once it exists ---------------------------------------------------------

# What a clerk may change in a campaign (its code, start, programme and budget account stay; the
# budget changes by top-ups and by ending the campaign).
CHANGEABLE = (
    "names",
    "rate_bp",
    "min_purchase_agorot",
    "cap_per_purchase_agorot",
    "cap_per_resident_month_agorot",
    "cap_per_resident_business_day_agorot",
    "categories",
    "neighbourhoods",
    "ends_at",
)


def _campaign_to_manage(session: Session, campaign_id: uuid.UUID, *, now: datetime) -> Campaign:
    """The campaign, its row locked (clerks' actions on one campaign take turns), not ended."""
    campaign = CampaignRepository(session).get(campaign_id, for_update=True)
    if campaign is None:
        raise CampaignNotFound()
    if campaign.has_ended(now):
        raise CampaignEnded(campaign=campaign.code)
    return campaign


def _snapshot(campaign: Campaign, fields: Sequence[str]) -> dict[str, Any]:
    """The fields as the audit log keeps them (JSON)."""
    shown: dict[str, Any] = {}
    for field in fields:
        if field == "names":
            shown[field] = dict(campaign.names)
            continue
        value = getattr(campaign, field)
        shown[field] = value.isoformat() if isinstance(value, datetime) else value
    return shown


def change_campaign(
    session: Session,
    campaign_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    reason: str,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> Campaign:
    """A clerk changes a campaign's names, rate, minimum, caps, categories, neighbourhoods or end
    (audited: what was, what is, why). Purchases already made keep the terms they got."""
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise InvalidCampaign(problem="cannot change " + ", ".join(unknown))
    campaign = _campaign_to_manage(session, campaign_id, now=now)
    if "ends_at" in changes and changes["ends_at"] is not None:
        ends_at: datetime = changes["ends_at"]
        if ends_at <= campaign.starts_at:
            raise InvalidCampaign(problem="ends_at must be after starts_at")
        if ends_at <= now:
            raise InvalidCampaign(problem="ends_at must be in the future (to stop now, end it)")
    if "neighbourhoods" in changes:
        known = {n.code for n in city.list_neighbourhoods(session)}
        wanted = sorted(set(changes["neighbourhoods"]))
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise InvalidCampaign(problem="unknown neighbourhoods: " + ", ".join(unknown[:5]))
        changes = {**changes, "neighbourhoods": wanted}
    if "categories" in changes:
        changes = {
            **changes,
            "categories": sorted({BusinessCategory(c).value for c in changes["categories"]}),
        }
    fields = [f for f in CHANGEABLE if f in changes]
    before = _snapshot(campaign, fields)
    for field in fields:
        if field == "names":
            names: Text = changes["names"]
            campaign.name_he, campaign.name_ar, campaign.name_en = (
                names["he"],
                names["ar"],
                names["en"],
            )
        else:
            setattr(campaign, field, changes[field])
    after = _snapshot(campaign, fields)
    changed = [f for f in fields if before[f] != after[f]]
    if not changed:
        return campaign
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.campaign.change",
        subject_type="cashback_campaign",
        subject_id=campaign.id,
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
        reason=reason,
    )
    return campaign


def pause_campaign(
    session: Session, campaign_id: uuid.UUID, *, reason: str, actor_id: uuid.UUID, now: datetime
) -> Campaign:
    """A clerk pauses a campaign: purchases are refused (``campaign_paused``) until it is resumed;
    cashback already held settles as usual. Audited."""
    campaign = _campaign_to_manage(session, campaign_id, now=now)
    if campaign.paused_at is not None:
        raise CampaignPaused(campaign=campaign.code)
    campaign.paused_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.campaign.pause",
        subject_type="cashback_campaign",
        subject_id=campaign.id,
        before={"paused": False},
        after={"paused": True},
        reason=reason,
    )
    return campaign


def resume_campaign(
    session: Session, campaign_id: uuid.UUID, *, reason: str, actor_id: uuid.UUID, now: datetime
) -> Campaign:
    """A clerk resumes a paused campaign (audited)."""
    campaign = _campaign_to_manage(session, campaign_id, now=now)
    if campaign.paused_at is None:
        raise CampaignNotPaused(campaign=campaign.code)
    paused_at = campaign.paused_at
    campaign.paused_at = None
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.campaign.resume",
        subject_type="cashback_campaign",
        subject_id=campaign.id,
        before={"paused": True, "paused_at": paused_at.isoformat()},
        after={"paused": False},
        reason=reason,
    )
    return campaign


@dataclass(frozen=True)
class EndAnswer:
    campaign: Campaign
    returned_agorot: int  # by this call


def end_campaign(
    session: Session, campaign_id: uuid.UUID, *, reason: str, actor_id: uuid.UUID, now: datetime
) -> EndAnswer:
    """A clerk ends a campaign now: no more purchases earn from it (``campaign_ended``), and its
    unspent budget goes back to the city (a ledger transaction). Cashback still held for return
    windows stays reserved and settles as usual; what comes back to the budget later (refunds, a
    lapsed hold) goes to the city when ``toshav cashback release-holds`` next runs. Audited."""
    campaign = _campaign_to_manage(session, campaign_id, now=now)
    before = {
        "ends_at": campaign.ends_at.isoformat() if campaign.ends_at else None,
        "paused": campaign.paused_at is not None,
    }
    campaign.ends_at = now
    campaign.ended_at = now
    session.flush()
    returned = _return_unspent(session, campaign, actor_id=actor_id, now=now)
    budget = budget_of(session, campaign, now=now)
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.campaign.end",
        subject_type="cashback_campaign",
        subject_id=campaign.id,
        before=before,
        after={
            "ends_at": now.isoformat(),
            "returned_agorot": returned,
            "still_held_agorot": budget.reserved,
        },
        reason=reason,
    )
    return EndAnswer(campaign, returned)


# A purchase that read the campaign as running just before it ended may still hold cashback from
# the budget between our reading it and posting: then read again, a few times.
RETURN_ATTEMPTS = 5


def _return_unspent(
    session: Session, campaign: Campaign, *, actor_id: uuid.UUID | None, now: datetime
) -> int:
    """Move what an ended campaign's budget has available (not held), in its budget account and
    its stripes, to the city's funding account. The caller holds the campaign's row lock."""
    funding = accounts.city_account(session, accounts.FUNDING, allow_negative=True)
    owned = budgets.budget_accounts(session, [campaign])[campaign.id]
    # The stripes before the budget account (budgets' one order of locks).
    lock_accounts(session, owned[1:])
    for _attempt in range(RETURN_ATTEMPTS):
        having = {i: b.available for i, b in get_balances(session, owned, now=now).items()}
        taken = [PostingInput(i, -amount) for i, amount in sorted(having.items()) if amount > 0]
        available = -sum(p.amount for p in taken)
        if available <= 0:
            return 0
        try:
            post_transaction(
                session,
                idempotency_key=f"cashback:campaign:{campaign.id}:return:{uuid.uuid4()}",
                kind="cashback_budget_return",
                postings=[*taken, PostingInput(funding.id, available)],
                reference=f"campaign:{campaign.id}",
                created_by=actor_id,
                now=now,
            )
        except InsufficientBalance:
            continue
        campaign.returned_agorot += available
        session.flush()
        return available
    return 0


def return_unspent_budgets(session: Session, campaign_id: uuid.UUID, *, now: datetime) -> int:
    """For ``toshav cashback release-holds``: what came back to an ended campaign's budget since
    (refunds, lapsed holds) goes to the city. Returns the amount."""
    campaign = CampaignRepository(session).get(campaign_id, for_update=True)
    if campaign is None or not campaign.has_ended(now):
        return 0
    return _return_unspent(session, campaign, actor_id=None, now=now)


def ended_campaigns_with_budget(session: Session, *, now: datetime) -> list[uuid.UUID]:
    """Ended campaigns whose budget has something available to go back to the city."""
    return list(
        CampaignRepository(session).ended_with_budget(now, purposes=accounts.BUDGET_PURPOSES)
    )


def campaigns_for(
    session: Session, merchant: Merchant, *, now: datetime, where: str | None = None
) -> list[Campaign]:
    """The campaigns running now (within their dates, not paused) that cover this business's
    category and neighbourhood (``where``: its code, when the caller has it)."""
    return [c for c in covering(session, merchant, now=now, where=where) if c.paused_at is None]


def covering(
    session: Session, merchant: Merchant, *, now: datetime, where: str | None
) -> list[Campaign]:
    """Campaigns within their dates now, paused or not, that cover this business."""
    within = CampaignRepository(session).within_dates(now)
    if not within:
        return []
    if where is None:
        where = merchants.neighbourhood_code(session, merchant)
    return [c for c in within if covers(c, merchant, where)]


def covers(campaign: Campaign, merchant: Merchant, where: str) -> bool:
    return (not campaign.categories or merchant.category in campaign.categories) and (
        not campaign.neighbourhoods or where in campaign.neighbourhoods
    )


def programmes_at(
    session: Session, resident_id: uuid.UUID, staff_user_id: uuid.UUID, *, now: datetime
) -> list[str]:
    """The programmes of the campaigns running at this staff account's business for which the
    resident is eligible now (nothing stored): what a card scan at the till may show."""
    merchant = MerchantRepository(session).merchant_of_staff(staff_user_id)
    if merchant is None or merchant.status != MerchantStatus.approved:
        return []
    codes = {c.programme_code for c in campaigns_for(session, merchant, now=now)}
    resident = residents.get_resident(session, resident_id)
    if not codes or resident is None:
        return []
    zone = city_zone()
    facts = residents.resident_facts(session, resident, now.astimezone(zone).date())
    return sorted(
        code
        for code in codes
        if is_eligible(session, programme_code=code, resident_id=resident_id, facts=facts, now=now)
    )
