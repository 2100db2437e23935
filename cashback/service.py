"""Cashback's rules: businesses, campaigns, purchases, refunds, redemptions, releases, settlement and
fraud flags. Never commits: the request's (or the command's) unit of work does.

Where the money is (all in the ledger, in agorot):

- a campaign's **budget** (owner: the campaign; never below zero) is funded from the city's
  ``cashback_funding`` account by an audited top-up;
- a purchase's cashback is a **hold** from the budget to the resident's ``cashback`` account for the
  return window; once the window is over it is captured and the resident can spend it;
- a refund takes back the proportional cashback: from the hold while the window runs, from the
  resident's balance afterwards; what the resident has already spent comes back to the budget as a
  **receivable** (the resident's ``cashback_receivable`` account goes below zero by what they owe),
  and the resident's next cashback that becomes available settles it first, between their own two
  accounts;
- a redemption moves cashback from the resident to the business's ``owed_to_merchant`` account;
- settlement pays each business its month's redemptions, into the city's ``cashback_payouts``.

Releasing held cashback: ``release_due_holds`` captures every hold whose return window is over. It
runs from ``toshav cashback release-holds`` (hourly, say) and, for one resident, whenever their
cashback is read or used (their wallet view, a redemption, a refund), so a resident never waits on
the command to spend what is theirs.

Locks, always in this order so that no two requests wait on each other in a circle: the resident's
wallet row, then purchase rows, then ledger accounts (the ledger locks those of one call by id). A
transaction touches one resident and one budget, and the only city-wide accounts (funding, payouts)
are locked alone with one other, so no cycle can form; the release command commits resident by
resident for the same reason. A purchase also consumes its card token's ``jti`` first, under a
unique constraint, so a replayed token (or twenty retries of one request) waits for the first use
and then gets its answer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from benefits.eligibility import service as eligibility
from benefits.eligibility.exceptions import ProgrammeNotFound
from benefits.eligibility.models import Decision
from benefits.ledger import service as ledger
from benefits.ledger.exceptions import (
    HoldAlreadyCaptured,
    HoldAlreadyReleased,
    HoldExpired,
    IdempotencyMismatch,
    InsufficientBalance,
)
from benefits.ledger.models import Account, OwnerType, Transaction, Unit
from benefits.ledger.service import Balance, PostingInput
from cashback import rules
from cashback.exceptions import (
    AddressNotInCity,
    AlreadyMerchantStaff,
    AmountInvalid,
    BudgetExhausted,
    CampaignEnded,
    CampaignExists,
    CampaignNotFound,
    CampaignNotPaused,
    CampaignPaused,
    CapReached,
    CardInvalid,
    FlagAlreadyResolved,
    FlagNotFound,
    IdempotencyKeyRequired,
    InsufficientCashback,
    InvalidCampaign,
    InvalidMerchantTransition,
    InvalidRegistryNumber,
    MerchantNotApproved,
    MerchantNotFound,
    NoCampaign,
    NotAMerchantAccount,
    NotMerchantStaff,
    PeriodNotOver,
    PurchaseNotFound,
    RefundOfRefund,
    RefundTooLarge,
    RegistryNumberTaken,
    ResidentNotEligible,
    StatementNotFound,
    TokenReplayed,
)
from cashback.models import (
    BusinessCategory,
    Campaign,
    Flag,
    FlagOutcome,
    FlagStatus,
    Merchant,
    MerchantStatus,
    Purchase,
    Redemption,
    Refund,
    Settlement,
    Wallet,
)
from cashback.repository import (
    CampaignRepository,
    FlagRepository,
    MerchantRepository,
    PurchaseFigures,
    PurchaseRepository,
    SettlementRepository,
)
from resident_card.accounts.models import Role
from resident_card.accounts.repository import UserRepository
from resident_card.audit import service as audit
from resident_card.cards import service as cards
from resident_card.city import service as city
from resident_card.city.models import Neighbourhood, Street
from resident_card.i18n import Text
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents
from resident_card.settings import Settings

CASHBACK_PROGRAMME = "cashback_resident"
# Ledger purposes.
BUDGET = "cashback_budget"  # a campaign's
FUNDING = "cashback_funding"  # the city's source of every budget (may go below zero)
CASHBACK = "cashback"  # a resident's spendable (and, held, incoming) cashback
RECEIVABLE = "cashback_receivable"  # a resident's: below zero by what they owe back
OWED = "owed_to_merchant"  # a business's: what the city owes it
PAYOUTS = "cashback_payouts"  # the city's: what it has paid businesses

# Held cashback is captured when the return window ends; the ledger hold itself lasts this much
# longer, so a late run of the release command still finds it pending.
HOLD_GRACE = timedelta(days=365)
RELEASE_BATCH = 500
MAX_PAGE = 200
MAX_KEY_LENGTH = 200


# --- small shared pieces ---------------------------------------------------------------------------


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.city_time_zone)


def check_idempotency_key(key: str | None) -> str:
    """1 to 200 visible ASCII characters, or ``idempotency_key_required``."""
    if key is None or not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise IdempotencyKeyRequired()
    if not all("!" <= char <= "~" for char in key):
        raise IdempotencyKeyRequired()
    return key


def check_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise AmountInvalid(problem="a whole number of agorot")
    if amount < 1:
        raise AmountInvalid(problem="at least 1 agora")
    if amount > rules.MAX_AMOUNT_AGOROT:
        raise AmountInvalid(problem=f"at most {rules.format_agorot(rules.MAX_AMOUNT_AGOROT)}")
    return amount


def _request_hash(**content: object) -> str:
    encoded = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _city_account(session: Session, purpose: str, *, allow_negative: bool = False) -> Account:
    return ledger.get_or_create_account(
        session,
        owner_type=OwnerType.city,
        owner_id=None,
        purpose=purpose,
        unit=Unit.ILS,
        allow_negative=allow_negative,
    )


def owed_account(session: Session, merchant_id: uuid.UUID) -> Account:
    return ledger.get_or_create_account(
        session, owner_type=OwnerType.merchant, owner_id=merchant_id, purpose=OWED, unit=Unit.ILS
    )


# --- businesses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    registry_number: str
    name: str
    category: BusinessCategory
    street_code: str
    house_number: int


def apply(
    session: Session,
    application: Application,
    *,
    actor_id: uuid.UUID,
    as_staff: bool,
    now: datetime,
) -> Merchant:
    """A business applies to the scheme (pending until a clerk decides).

    ``as_staff``: the applicant (a ``merchant`` account that belongs to no business yet) becomes
    the business's first staff account. A clerk filing a paper application does not.
    """
    registry_number = rules.normalise_registry_number(application.registry_number)
    if registry_number is None:
        raise InvalidRegistryNumber()
    street = city.street_by_code(session, application.street_code)
    if street is None:
        raise AddressNotInCity()
    neighbourhood = city.neighbourhood_for(session, street, application.house_number)
    if neighbourhood is None:
        raise AddressNotInCity()
    repository = MerchantRepository(session)
    if as_staff:
        _check_can_be_staff(session, actor_id)
    if repository.registry_number_taken(registry_number):
        raise RegistryNumberTaken()
    merchant = Merchant(
        id=uuid.uuid4(),
        created_at=now,
        registry_number=registry_number,
        name=application.name,
        category=application.category.value,
        street_id=street.id,
        house_number=application.house_number,
        neighbourhood_id=neighbourhood.id,
        status=MerchantStatus.pending.value,
        applied_by=actor_id,
    )
    try:
        with session.begin_nested():
            repository.add(merchant)
    except IntegrityError as exc:  # the same number, registered at this very moment
        raise RegistryNumberTaken() from exc
    if as_staff and not repository.add_staff_if_absent(merchant.id, actor_id):
        raise AlreadyMerchantStaff()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.merchant.apply",
        subject_type="cashback_merchant",
        subject_id=merchant.id,
        after={"status": merchant.status, "category": merchant.category, "name": merchant.name},
    )
    return merchant


def _check_can_be_staff(session: Session, user_id: uuid.UUID) -> None:
    user = UserRepository(session).get(user_id)
    if user is None or not user.has_role(Role.merchant):
        raise NotAMerchantAccount()
    if MerchantRepository(session).staff_link(user_id) is not None:
        raise AlreadyMerchantStaff()


# Which status a clerk may move a business to, from which.
TRANSITIONS: dict[MerchantStatus, frozenset[MerchantStatus]] = {
    MerchantStatus.pending: frozenset({MerchantStatus.approved, MerchantStatus.rejected}),
    MerchantStatus.approved: frozenset({MerchantStatus.suspended}),
    MerchantStatus.suspended: frozenset({MerchantStatus.approved, MerchantStatus.rejected}),
    MerchantStatus.rejected: frozenset(),
}


def change_status(
    session: Session,
    merchant_id: uuid.UUID,
    *,
    to: MerchantStatus,
    reason: str,
    actor_id: uuid.UUID | None,
    now: datetime,
) -> Merchant:
    """A clerk approves, suspends or rejects a business, with a reason (written to the audit log)."""
    merchant = MerchantRepository(session).get(merchant_id, for_update=True)
    if merchant is None:
        raise MerchantNotFound()
    before = MerchantStatus(merchant.status)
    if to not in TRANSITIONS[before]:
        raise InvalidMerchantTransition(before=before.value, after=to.value)
    merchant.status = to.value
    merchant.status_reason = reason
    merchant.status_changed_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action=f"cashback.merchant.{to.value}",
        subject_type="cashback_merchant",
        subject_id=merchant.id,
        before={"status": before.value},
        after={"status": to.value},
        reason=reason,
    )
    return merchant


def add_staff(
    session: Session, merchant_id: uuid.UUID, user_id: uuid.UUID, *, actor_id: uuid.UUID
) -> None:
    """A clerk makes a ``merchant`` account staff of a business (audited)."""
    repository = MerchantRepository(session)
    if repository.get(merchant_id) is None:
        raise MerchantNotFound()
    _check_can_be_staff(session, user_id)
    if not repository.add_staff_if_absent(merchant_id, user_id):
        raise AlreadyMerchantStaff()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.merchant.add_staff",
        subject_type="cashback_merchant",
        subject_id=merchant_id,
        after={"user_id": str(user_id)},
    )


def remove_staff(
    session: Session, merchant_id: uuid.UUID, user_id: uuid.UUID, *, actor_id: uuid.UUID
) -> None:
    repository = MerchantRepository(session)
    link = repository.staff_link(user_id)
    if link is None or link.merchant_id != merchant_id:
        raise MerchantNotFound()
    repository.remove_staff(link)
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.merchant.remove_staff",
        subject_type="cashback_merchant",
        subject_id=merchant_id,
        before={"user_id": str(user_id)},
    )


def staff_merchant(session: Session, user_id: uuid.UUID) -> Merchant:
    """The business a staff account belongs to."""
    merchant = MerchantRepository(session).merchant_of_staff(user_id)
    if merchant is None:
        raise NotMerchantStaff()
    return merchant


def get_merchant(session: Session, merchant_id: uuid.UUID) -> Merchant:
    merchant = MerchantRepository(session).get(merchant_id)
    if merchant is None:
        raise MerchantNotFound()
    return merchant


def list_merchants(
    session: Session, *, status: MerchantStatus | None, limit: int, offset: int
) -> Sequence[Merchant]:
    return MerchantRepository(session).list(
        status=status.value if status else None, limit=limit, offset=offset
    )


def places(
    session: Session, merchants: Sequence[Merchant]
) -> dict[uuid.UUID, tuple[Street, Neighbourhood]]:
    """Where each business is: its street and its neighbourhood."""
    return MerchantRepository(session).places(merchants)


def staff_of(session: Session, merchant_id: uuid.UUID) -> list[uuid.UUID]:
    return [link.user_id for link in MerchantRepository(session).staff_of(merchant_id)]


def neighbourhood_code(session: Session, merchant: Merchant) -> str:
    return MerchantRepository(session).neighbourhood_codes([merchant.neighbourhood_id])[
        merchant.neighbourhood_id
    ]


def owed_to(session: Session, merchant: Merchant, *, now: datetime) -> int:
    """What the city owes the business now (redemptions not yet settled)."""
    return ledger.get_balance(session, owed_account(session, merchant.id).id, now=now).posted


# --- campaigns -------------------------------------------------------------------------------------


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
        eligibility.get_programme(session, terms.programme_code)
    except ProgrammeNotFound as exc:
        raise InvalidCampaign(problem=f"no programme {terms.programme_code[:50]!r}") from exc
    known = {n.code for n in city.list_neighbourhoods(session)}
    unknown = sorted(set(terms.neighbourhoods) - known)
    if unknown:
        raise InvalidCampaign(problem="unknown neighbourhoods: " + ", ".join(unknown[:5]))
    campaign_id = uuid.uuid4()
    budget = ledger.get_or_create_account(
        session, owner_type=OwnerType.campaign, owner_id=campaign_id, purpose=BUDGET, unit=Unit.ILS
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


def budget_of(session: Session, campaign: Campaign, *, now: datetime) -> Balance:
    return ledger.get_balance(session, campaign.budget_account_id, now=now)


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
    check_amount(amount_agorot)
    funding = _city_account(session, FUNDING, allow_negative=True)
    before = ledger.get_balance(session, campaign.budget_account_id, now=now).posted
    transaction, created = ledger.post_transaction_once(
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
    """Move what an ended campaign's budget has available (not held) to the city's funding
    account. The caller holds the campaign's row lock."""
    funding = _city_account(session, FUNDING, allow_negative=True)
    for _attempt in range(RETURN_ATTEMPTS):
        available = budget_of(session, campaign, now=now).available
        if available <= 0:
            return 0
        try:
            ledger.post_transaction(
                session,
                idempotency_key=f"cashback:campaign:{campaign.id}:return:{uuid.uuid4()}",
                kind="cashback_budget_return",
                postings=[
                    PostingInput(campaign.budget_account_id, -available),
                    PostingInput(funding.id, available),
                ],
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
    return list(CampaignRepository(session).ended_with_budget(now))


def campaigns_for(
    session: Session, merchant: Merchant, *, now: datetime, where: str | None = None
) -> list[Campaign]:
    """The campaigns running now (within their dates, not paused) that cover this business's
    category and neighbourhood (``where``: its code, when the caller has it)."""
    return [c for c in _covering(session, merchant, now=now, where=where) if c.paused_at is None]


def _covering(
    session: Session, merchant: Merchant, *, now: datetime, where: str | None
) -> list[Campaign]:
    """Campaigns within their dates now, paused or not, that cover this business."""
    within = CampaignRepository(session).within_dates(now)
    if not within:
        return []
    if where is None:
        where = neighbourhood_code(session, merchant)
    return [c for c in within if _covers(c, merchant, where)]


def _covers(campaign: Campaign, merchant: Merchant, where: str) -> bool:
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
    zone = eligibility.city_zone()
    facts = residents.resident_facts(session, resident, now.astimezone(zone).date())
    return sorted(
        code
        for code in codes
        if eligibility.is_eligible(
            session, programme_code=code, resident_id=resident_id, facts=facts, now=now
        )
    )


def _terms(campaign: Campaign) -> rules.Terms:
    return rules.Terms(
        rate_bp=campaign.rate_bp,
        min_purchase_agorot=campaign.min_purchase_agorot,
        cap_per_purchase_agorot=campaign.cap_per_purchase_agorot,
        cap_per_resident_month_agorot=campaign.cap_per_resident_month_agorot,
        cap_per_resident_business_day_agorot=campaign.cap_per_resident_business_day_agorot,
        names=campaign.names,
    )


# --- residents' wallets ----------------------------------------------------------------------------


def lock_wallet(session: Session, resident_id: uuid.UUID) -> Wallet:
    """The resident's wallet row, locked (made with its two accounts on first use)."""
    repository = PurchaseRepository(session)
    wallet = repository.lock_wallet(resident_id)
    if wallet is not None:
        return wallet
    cashback = ledger.get_or_create_account(
        session,
        owner_type=OwnerType.resident,
        owner_id=resident_id,
        purpose=CASHBACK,
        unit=Unit.ILS,
    )
    receivable = ledger.get_or_create_account(
        session,
        owner_type=OwnerType.resident,
        owner_id=resident_id,
        purpose=RECEIVABLE,
        unit=Unit.ILS,
        allow_negative=True,
    )
    repository.insert_wallet_if_absent(
        {
            "id": uuid.uuid4(),
            "resident_id": resident_id,
            "cashback_account_id": cashback.id,
            "receivable_account_id": receivable.id,
        }
    )
    wallet = repository.lock_wallet(resident_id)
    if wallet is None:  # pragma: no cover - just inserted, or inserted by another
        raise RuntimeError("the cashback wallet was neither found nor made")
    return wallet


@dataclass(frozen=True)
class WalletView:
    available_agorot: int
    pending_agorot: int
    owed_agorot: int
    purchases: list[tuple[Purchase, Merchant]]


def wallet_view(session: Session, resident_id: uuid.UUID, *, now: datetime) -> WalletView:
    """A resident's cashback: spendable, held (in return windows), owed back, recent purchases.

    Releases what has come due first, so the figures are as of now.
    """
    repository = PurchaseRepository(session)
    if repository.wallet(resident_id) is None:
        return WalletView(0, 0, 0, [])
    wallet = lock_wallet(session, resident_id)
    release_due_holds(session, now=now, resident_id=resident_id)
    balance = ledger.get_balance(session, wallet.cashback_account_id, now=now)
    owed = -ledger.get_balance(session, wallet.receivable_account_id, now=now).posted
    purchases = repository.purchases_of_resident(resident_id, limit=20)
    merchants = MerchantRepository(session).by_ids(p.merchant_id for p in purchases)
    return WalletView(
        available_agorot=balance.available,
        pending_agorot=balance.pending,
        owed_agorot=max(owed, 0),
        purchases=[(p, merchants[p.merchant_id]) for p in purchases],
    )


def available_cashback(session: Session, resident_id: uuid.UUID, *, now: datetime) -> int | None:
    """What a resident can spend now, read only (for the wallet's summary line); None for a
    resident who never earned cashback."""
    wallet = PurchaseRepository(session).wallet(resident_id)
    if wallet is None:
        return None
    return ledger.get_balance(session, wallet.cashback_account_id, now=now).available


# --- the card a business scans ---------------------------------------------------------------------


def _scanned_resident(
    session: Session,
    settings: Settings,
    merchant: Merchant,
    card_token: str,
    *,
    used_for: str,
    now: datetime,
) -> tuple[Resident, bool]:
    """Verify the card token and consume its jti. (resident, True), or (…, False) when the jti was
    already used: the caller decides between a replay and ``token_replayed``."""
    check = cards.check_token(session, settings, card_token, now=now)
    if not check.valid or check.resident is None:
        raise CardInvalid(reason=check.reason or "unknown")
    if not check.jti:
        raise CardInvalid(reason="malformed")
    fresh = PurchaseRepository(session).consume_jti(check.jti, merchant.id, used_for, now)
    return check.resident, fresh


def _approved(merchant: Merchant) -> None:
    if merchant.status != MerchantStatus.approved:
        raise MerchantNotApproved(status=merchant.status)


# --- purchases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseAnswer:
    purchase: Purchase
    campaign: Campaign
    merchant: Merchant
    replayed: bool


def _replay_purchase(
    session: Session, existing: Purchase, request_hash: str, merchant: Merchant
) -> PurchaseAnswer:
    if existing.request_hash != request_hash:
        raise IdempotencyMismatch()
    return PurchaseAnswer(existing, get_campaign(session, existing.campaign_id), merchant, True)


def record_purchase(
    session: Session,
    settings: Settings,
    *,
    staff_user_id: uuid.UUID,
    idempotency_key: str | None,
    card_token: str,
    amount_agorot: int,
    receipt: str,
    now: datetime,
) -> PurchaseAnswer:
    """A business records a purchase by a resident (their card token scanned); the cashback is held
    for the return window. The same key and body again: the same answer, nothing new written.

    The order keeps the campaign's budget locked as briefly as can be: every purchase of the
    campaign waits on that row. Everything is read and written first — the purchase row and its
    fraud flags too — and the cashback's hold, which locks the budget, comes last, followed by one
    small update and the request's commit.
    """
    repository = PurchaseRepository(session)
    # The business, where it is, and any purchase already recorded under this key: one read.
    till = MerchantRepository(session).at_till(staff_user_id, key=idempotency_key)
    if till is None:
        raise NotMerchantStaff()
    merchant, where, existing = till
    key = check_idempotency_key(idempotency_key)
    request_hash = _request_hash(
        card_token=card_token, amount_agorot=amount_agorot, receipt=receipt
    )
    if existing is not None:
        return _replay_purchase(session, existing, request_hash, merchant)
    _approved(merchant)
    check_amount(amount_agorot)
    resident, fresh = _scanned_resident(
        session, settings, merchant, card_token, used_for="purchase", now=now
    )
    if not fresh:
        # Used before — by this very request, retried while the first was still running?
        existing = repository.purchase_by_key(merchant.id, key)
        if existing is not None:
            return _replay_purchase(session, existing, request_hash, merchant)
        raise TokenReplayed()

    wallet = lock_wallet(session, resident.id)
    campaigns = _campaigns_for_purchase(session, merchant, where, now=now)
    decisions = _decide(session, settings, resident, campaigns, now=now)
    eligible = [c for c in campaigns if decisions[c.programme_code].eligible]
    if not eligible:
        raise ResidentNotEligible()

    zone = _zone(settings)
    month = eligibility.parse_period(now.astimezone(zone).strftime("%Y-%m"), zone)
    day_start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    # What the caps and the fraud signals look at, in one read (under the wallet's lock).
    figures = repository.purchase_figures(
        campaign_ids=[c.id for c in eligible],
        resident_id=resident.id,
        merchant_id=merchant.id,
        month=(month.start, month.end),
        day=(day_start, day_start + timedelta(days=1)),
        resident_since=now - timedelta(hours=1),
        merchant_since=now - timedelta(minutes=10),
        before=now,
    )
    offers: list[tuple[Campaign, rules.Earned]] = []
    refusals: list[rules.NotEarned] = []
    for campaign in eligible:
        this_month, today_here = figures.earned[campaign.id]
        earned = rules.earn(
            _terms(campaign),
            amount_agorot,
            used_this_month=this_month,
            used_today_here=today_here,
        )
        if isinstance(earned, rules.NotEarned):
            refusals.append(earned)
        else:
            offers.append((campaign, earned))
    if not offers:
        caps = [r for r in refusals if r.kind == "cap_reached"]
        if caps:
            raise CapReached(cap=caps[0].cap)
        raise AmountInvalid(problem=f"below the minimum for cashback ({refusals[0].minimum})")

    available_at = now + timedelta(days=settings.cashback_return_window_days)
    repositories = CampaignRepository(session)

    def explanation(campaign: Campaign, earned: rules.Earned) -> list[dict[str, Any]]:
        programme = repositories.programme(decisions[campaign.programme_code].programme_id)
        return [
            rules.reason("eligible", programme=dict(programme.names)),
            *earned.reasons,
            rules.reason(
                "held",
                days=settings.cashback_return_window_days,
                date=available_at.astimezone(zone).date().isoformat(),
            ),
        ]

    def terms_got(campaign: Campaign, earned: rules.Earned) -> dict[str, Any]:
        return {
            "campaign_id": campaign.id,
            "cashback_agorot": earned.cashback_agorot,
            "rate_bp": campaign.rate_bp,
            "explanation": explanation(campaign, earned),
            "decision_id": decisions[campaign.programme_code].id,
        }

    ranked = rules.best_first(offers)
    purchase_id = uuid.uuid4()
    purchase = repository.insert_purchase_if_absent(
        {
            "id": purchase_id,
            "created_at": now,
            "merchant_id": merchant.id,
            "resident_id": resident.id,
            "staff_user_id": staff_user_id,
            "idempotency_key": key,
            "request_hash": request_hash,
            "amount_agorot": amount_agorot,
            "receipt": receipt,
            **terms_got(*ranked[0]),
            "hold_id": None,
            "hold_count": 1,
            "available_at": available_at,
            "released_at": None,
            "refunded_agorot": 0,
            "cashback_returned_agorot": 0,
        }
    )
    if purchase is None:
        # The same key, taken at this moment by a request with another card token (the same token
        # would have waited on its jti above): a different request under one key.
        raise IdempotencyMismatch()
    _raise_flags(session, purchase, _signals(figures, amount_agorot, fraud_thresholds(settings)))

    # Last: the hold, which locks the campaign's budget until the request commits.
    for rank, (campaign, earned) in enumerate(ranked):
        try:
            hold = ledger.create_hold(
                session,
                idempotency_key=f"cashback:purchase:{purchase_id}:hold:1",
                kind="cashback",
                postings=[
                    PostingInput(campaign.budget_account_id, -earned.cashback_agorot),
                    PostingInput(wallet.cashback_account_id, earned.cashback_agorot),
                ],
                expires_at=available_at + HOLD_GRACE,
                reference=f"purchase:{purchase_id}",
                metadata={
                    "campaign": campaign.code,
                    "decision": str(decisions[campaign.programme_code].id),
                },
                created_by=staff_user_id,
                now=now,
            )
        except InsufficientBalance:
            continue
        # A campaign further down the list paid: the purchase records its terms instead.
        repository.attach_hold(purchase, hold.id, terms_got(campaign, earned) if rank else {})
        return PurchaseAnswer(purchase, campaign, merchant, False)
    # No budget: ended by a clerk while this purchase was on its way (its budget went back to the
    # city), or simply spent?
    ended = repositories.ended_among([c.id for c, _ in ranked], now)
    if len(ended) == len(ranked):
        raise CampaignEnded(campaign=ended[0].code)
    raise BudgetExhausted()


def _campaigns_for_purchase(
    session: Session, merchant: Merchant, where: str, *, now: datetime
) -> list[Campaign]:
    """The campaigns a purchase here may earn from now; when there are none, why: a paused
    campaign, one that has ended, or none at all."""
    covering = _covering(session, merchant, now=now, where=where)
    running = [c for c in covering if c.paused_at is None]
    if running:
        return running
    if covering:
        raise CampaignPaused(campaign=covering[0].code)
    ended = [
        c for c in CampaignRepository(session).latest_ended(now) if _covers(c, merchant, where)
    ]
    if ended:
        raise CampaignEnded(campaign=ended[0].code)
    raise NoCampaign()


def _decide(
    session: Session,
    settings: Settings,
    resident: Resident,
    campaigns: Sequence[Campaign],
    *,
    now: datetime,
) -> dict[str, Decision]:
    """One recorded eligibility decision per programme the campaigns name."""
    facts = residents.resident_facts(session, resident, residents.city_today(now, settings))
    return {
        code: eligibility.decide(
            session, programme_code=code, resident_id=resident.id, facts=facts, now=now
        )
        for code in sorted({c.programme_code for c in campaigns})
    }


def get_purchase(session: Session, merchant: Merchant, purchase_id: uuid.UUID) -> Purchase:
    """A purchase of this business; anyone else's is simply not found."""
    purchase = PurchaseRepository(session).purchase(purchase_id)
    if purchase is None or purchase.merchant_id != merchant.id:
        raise PurchaseNotFound()
    return purchase


def purchases_of(
    session: Session, merchant: Merchant, *, limit: int, offset: int
) -> Sequence[Purchase]:
    return PurchaseRepository(session).purchases_of_merchant(
        merchant.id, limit=limit, offset=offset
    )


def terms_got(purchase: Purchase, campaign: Campaign) -> tuple[Text, int]:
    """The campaign's names and rate as the purchase got them (its reasons keep the names)."""
    for stored in purchase.explanation:
        if stored.get("code") == "rate":
            names = (stored.get("params") or {}).get("campaign")
            if isinstance(names, dict) and set(names) == {"he", "ar", "en"}:
                return {"he": names["he"], "ar": names["ar"], "en": names["en"]}, purchase.rate_bp
    return campaign.names, purchase.rate_bp


def purchase_state(purchase: Purchase) -> str:
    """held (in the return window), available, or returned (all of the cashback taken back)."""
    if purchase.cashback_returned_agorot >= purchase.cashback_agorot:
        return "returned"
    if purchase.released_at is None and purchase.hold_id is not None:
        return "held"
    return "available"


# --- releasing held cashback ----------------------------------------------------------------------


@dataclass
class ReleaseReport:
    released: int = 0
    amount_agorot: int = 0
    recovered_agorot: int = 0  # of it, what settled residents' debts first


def release_due_holds(
    session: Session, *, now: datetime, resident_id: uuid.UUID | None = None
) -> ReleaseReport:
    """Capture the cashback holds whose return window is over (every resident's, or one's)."""
    repository = PurchaseRepository(session)
    report = ReleaseReport()
    while True:
        due = repository.due(now, resident_id=resident_id, limit=RELEASE_BATCH)
        if not due:
            return report
        for purchase_id, owner in due:
            _release(session, purchase_id, owner, report, now=now)


def residents_with_due_holds(session: Session, *, now: datetime, limit: int) -> list[uuid.UUID]:
    """Residents with cashback past its return window still held (for the release command, which
    commits one resident at a time)."""
    return PurchaseRepository(session).residents_due(now, limit=limit)


def _release(
    session: Session,
    purchase_id: uuid.UUID,
    resident_id: uuid.UUID,
    report: ReleaseReport,
    *,
    now: datetime,
) -> None:
    wallet = lock_wallet(session, resident_id)
    purchase = PurchaseRepository(session).purchase(purchase_id, for_update=True)
    if (
        purchase is None
        or purchase.released_at is not None
        or purchase.hold_id is None
        or purchase.available_at > now
    ):
        return  # released by another run meanwhile
    try:
        transaction = ledger.capture_hold(session, purchase.hold_id, now=now)
    except (HoldExpired, HoldAlreadyReleased, HoldAlreadyCaptured):
        # Expired by `toshav ledger expire-holds` long after its window: the cashback went back to
        # the budget. Nothing is held for this purchase any more.
        purchase.hold_id = None
        purchase.released_at = now
        session.flush()
        return
    captured = sum(p.amount for p in ledger.postings_of(session, transaction.id) if p.amount > 0)
    purchase.released_at = now
    session.flush()
    report.released += 1
    report.amount_agorot += captured
    report.recovered_agorot += _settle_debt(session, wallet, captured, purchase, now=now)


def _settle_debt(
    session: Session, wallet: Wallet, up_to: int, purchase: Purchase, *, now: datetime
) -> int:
    """Newly available cashback first pays back what the resident owes (refunds of cashback they
    had already spent), from their cashback account to their receivable one."""
    owed = -ledger.get_balance(session, wallet.receivable_account_id, now=now).posted
    paying = min(owed, up_to)
    if paying <= 0:
        return 0
    ledger.post_transaction(
        session,
        idempotency_key=f"cashback:recovery:{purchase.id}",
        kind="cashback_recovery",
        postings=[
            PostingInput(wallet.cashback_account_id, -paying),
            PostingInput(wallet.receivable_account_id, paying),
        ],
        reference=f"purchase:{purchase.id}",
        now=now,
    )
    return paying


# --- refunds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundAnswer:
    refund: Refund
    purchase: Purchase
    replayed: bool


def refund_purchase(
    session: Session,
    *,
    staff_user_id: uuid.UUID,
    purchase_id: uuid.UUID,
    amount_agorot: int,
    receipt: str | None,
    idempotency_key: str | None,
    now: datetime,
) -> RefundAnswer:
    """Goods returned: the proportional cashback is taken back — from the hold in the return window,
    from the balance after it, and what the resident already spent is recorded as owed."""
    merchant = staff_merchant(session, staff_user_id)
    repository = PurchaseRepository(session)
    found = repository.purchase(purchase_id)
    if found is None or found.merchant_id != merchant.id:
        refund = repository.refund(purchase_id)
        if refund is not None and refund.merchant_id == merchant.id:
            raise RefundOfRefund()
        raise PurchaseNotFound()
    key = check_idempotency_key(idempotency_key) if idempotency_key is not None else None
    check_amount(amount_agorot)

    wallet = lock_wallet(session, found.resident_id)
    if key is not None:
        earlier = repository.refund_by_key(found.id, key)
        if earlier is not None:
            if earlier.amount_agorot != amount_agorot or earlier.receipt != receipt:
                raise IdempotencyMismatch()
            return RefundAnswer(earlier, found, True)
    release_due_holds(session, now=now, resident_id=found.resident_id)
    purchase = repository.purchase(found.id, for_update=True)
    assert purchase is not None  # just read; purchases are never deleted
    remaining = purchase.amount_agorot - purchase.refunded_agorot
    if amount_agorot > remaining:
        raise RefundTooLarge(remaining=rules.format_agorot(remaining))
    take = rules.taken_back(
        purchase.cashback_agorot,
        purchase.amount_agorot,
        purchase.refunded_agorot + amount_agorot,
        purchase.cashback_returned_agorot,
    )
    campaign = get_campaign(session, purchase.campaign_id)
    refund_id = uuid.uuid4()
    from_hold = from_balance = shortfall = 0
    transaction_id: uuid.UUID | None = None
    if take > 0 and purchase.released_at is None and purchase.hold_id is not None:
        from_hold = take
        _shrink_hold(session, purchase, wallet, campaign, by=take, now=now)
    elif take > 0:
        available = ledger.get_balance(session, wallet.cashback_account_id, now=now).available
        from_balance = min(take, max(available, 0))
        shortfall = take - from_balance
        # All of it goes back to the budget: what the resident already spent, as their debt.
        postings = [PostingInput(campaign.budget_account_id, take)]
        if from_balance:
            postings.append(PostingInput(wallet.cashback_account_id, -from_balance))
        if shortfall:
            postings.append(PostingInput(wallet.receivable_account_id, -shortfall))
        transaction_id = ledger.post_transaction(
            session,
            idempotency_key=f"cashback:refund:{refund_id}",
            kind="cashback_refund",
            postings=postings,
            reference=f"purchase:{purchase.id}",
            created_by=staff_user_id,
            now=now,
        ).id
    purchase.refunded_agorot += amount_agorot
    purchase.cashback_returned_agorot += take
    refund = repository.add_refund(
        Refund(
            id=refund_id,
            created_at=now,
            purchase_id=purchase.id,
            merchant_id=merchant.id,
            staff_user_id=staff_user_id,
            idempotency_key=key,
            amount_agorot=amount_agorot,
            receipt=receipt,
            cashback_taken_back_agorot=take,
            from_hold_agorot=from_hold,
            from_balance_agorot=from_balance,
            shortfall_agorot=shortfall,
            transaction_id=transaction_id,
        )
    )
    return RefundAnswer(refund, purchase, False)


def _shrink_hold(
    session: Session,
    purchase: Purchase,
    wallet: Wallet,
    campaign: Campaign,
    *,
    by: int,
    now: datetime,
) -> None:
    """Within the return window: void the hold, and hold what is left until the same moment."""
    assert purchase.hold_id is not None
    old = ledger.get_hold(session, purchase.hold_id)
    ledger.release_hold(session, old.id, now=now)
    left = purchase.cashback_agorot - purchase.cashback_returned_agorot - by
    if left <= 0:
        purchase.hold_id = None
        return
    purchase.hold_count += 1
    hold = ledger.create_hold(
        session,
        idempotency_key=f"cashback:purchase:{purchase.id}:hold:{purchase.hold_count}",
        kind="cashback",
        postings=[
            PostingInput(campaign.budget_account_id, -left),
            PostingInput(wallet.cashback_account_id, left),
        ],
        expires_at=old.expires_at,
        reference=f"purchase:{purchase.id}",
        metadata=dict(old.details),
        created_by=old.created_by,
        now=now,
    )
    purchase.hold_id = hold.id


def refunds_of(session: Session, purchase: Purchase) -> Sequence[Refund]:
    return PurchaseRepository(session).refunds_of(purchase.id)


# --- redemptions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedemptionAnswer:
    redemption: Redemption
    replayed: bool


def redeem(
    session: Session,
    settings: Settings,
    *,
    staff_user_id: uuid.UUID,
    idempotency_key: str | None,
    card_token: str,
    amount_agorot: int,
    receipt: str | None,
    now: datetime,
) -> RedemptionAnswer:
    """A resident pays with cashback at a business: their balance goes down, the city owes the
    business. Same key and body: same answer."""
    merchant = staff_merchant(session, staff_user_id)
    key = check_idempotency_key(idempotency_key)
    request_hash = _request_hash(
        card_token=card_token, amount_agorot=amount_agorot, receipt=receipt
    )
    repository = PurchaseRepository(session)

    def replay(existing: Redemption) -> RedemptionAnswer:
        if existing.request_hash != request_hash:
            raise IdempotencyMismatch()
        return RedemptionAnswer(existing, True)

    existing = repository.redemption_by_key(merchant.id, key)
    if existing is not None:
        return replay(existing)
    _approved(merchant)
    check_amount(amount_agorot)
    resident, fresh = _scanned_resident(
        session, settings, merchant, card_token, used_for="redemption", now=now
    )
    if not fresh:
        existing = repository.redemption_by_key(merchant.id, key)
        if existing is not None:
            return replay(existing)
        raise TokenReplayed()
    wallet = lock_wallet(session, resident.id)
    release_due_holds(session, now=now, resident_id=resident.id)
    available = ledger.get_balance(session, wallet.cashback_account_id, now=now).available
    if amount_agorot > available:
        raise InsufficientCashback(available=rules.format_agorot(max(available, 0)))
    redemption_id = uuid.uuid4()
    transaction = ledger.post_transaction(
        session,
        idempotency_key=f"cashback:redemption:{redemption_id}",
        kind="cashback_redemption",
        postings=[
            PostingInput(wallet.cashback_account_id, -amount_agorot),
            PostingInput(owed_account(session, merchant.id).id, amount_agorot),
        ],
        reference=f"redemption:{redemption_id}",
        created_by=staff_user_id,
        now=now,
    )
    redemption = repository.insert_redemption_if_absent(
        {
            "id": redemption_id,
            "created_at": now,
            "merchant_id": merchant.id,
            "resident_id": resident.id,
            "staff_user_id": staff_user_id,
            "idempotency_key": key,
            "request_hash": request_hash,
            "amount_agorot": amount_agorot,
            "receipt": receipt,
            "balance_after_agorot": available - amount_agorot,
            "transaction_id": transaction.id,
        }
    )
    if redemption is None:
        raise IdempotencyMismatch()
    return RedemptionAnswer(redemption, False)


@dataclass(frozen=True)
class BalanceCheck:
    available_agorot: int
    pending_agorot: int


def check_balance(
    session: Session,
    settings: Settings,
    *,
    staff_user_id: uuid.UUID,
    card_token: str,
    now: datetime,
) -> BalanceCheck:
    """What the card's holder can spend here now (the token is verified, not consumed)."""
    merchant = staff_merchant(session, staff_user_id)
    _approved(merchant)
    check = cards.check_token(session, settings, card_token, now=now)
    if not check.valid or check.resident is None:
        raise CardInvalid(reason=check.reason or "unknown")
    view = wallet_view(session, check.resident.id, now=now)
    return BalanceCheck(view.available_agorot, view.pending_agorot)


# --- fraud signals ---------------------------------------------------------------------------------


def fraud_thresholds(settings: Settings) -> rules.Thresholds:
    """The fraud signals' thresholds, as the city set them (TOSHAV_CASHBACK_…)."""
    return rules.Thresholds(
        resident_purchases_per_hour=settings.cashback_resident_purchases_per_hour,
        business_purchases_per_ten_minutes=settings.cashback_business_purchases_per_ten_minutes,
        repeats_per_day=settings.cashback_repeats_per_day,
        round_amount_from_agorot=settings.cashback_round_amount_from_agorot,
        outlier_deviations=settings.cashback_outlier_deviations,
        outlier_min_history=settings.cashback_outlier_min_history,
    )


def _signals(
    figures: PurchaseFigures, amount_agorot: int, thresholds: rules.Thresholds
) -> list[tuple[str, dict[str, Any]]]:
    """The fraud signals a purchase about to be recorded raises (it counts itself)."""
    return rules.fraud_signals(
        rules.PurchaseFigures(
            amount_agorot=amount_agorot,
            resident_last_hour=figures.by_resident + 1,
            business_last_ten_minutes=figures.at_business + 1,
            pair_today=figures.pair + 1,
            business_history=figures.history,
            business_mean=figures.mean,
            business_deviation=math.sqrt(max(figures.mean_square - figures.mean**2, 0.0)),
        ),
        thresholds,
    )


def _raise_flags(
    session: Session, purchase: Purchase, signals: list[tuple[str, dict[str, Any]]]
) -> None:
    if signals:
        FlagRepository(session).add_all(
            [
                Flag(
                    id=uuid.uuid4(),
                    created_at=purchase.created_at,
                    purchase_id=purchase.id,
                    merchant_id=purchase.merchant_id,
                    signal=signal,
                    details=details,
                    status=FlagStatus.open.value,
                )
                for signal, details in signals
            ]
        )


def list_flags(
    session: Session,
    *,
    status: FlagStatus | None,
    merchant_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> list[tuple[Flag, Purchase, Merchant]]:
    flags = FlagRepository(session).list(
        status=status.value if status else None, merchant_id=merchant_id, limit=limit, offset=offset
    )
    purchases = FlagRepository(session).purchases(f.purchase_id for f in flags)
    merchants = MerchantRepository(session).by_ids(f.merchant_id for f in flags)
    return [(f, purchases[f.purchase_id], merchants[f.merchant_id]) for f in flags]


def flag_context(session: Session, flag: Flag) -> tuple[Purchase, Merchant]:
    purchase = PurchaseRepository(session).purchase(flag.purchase_id)
    assert purchase is not None  # a foreign key keeps it there
    return purchase, get_merchant(session, flag.merchant_id)


def resolve_flag(
    session: Session,
    flag_id: uuid.UUID,
    *,
    outcome: FlagOutcome,
    reason: str,
    actor_id: uuid.UUID,
    now: datetime,
) -> Flag:
    """A clerk reviews a flag: dismissed or confirmed, with a reason (audited)."""
    flag = FlagRepository(session).get(flag_id, for_update=True)
    if flag is None:
        raise FlagNotFound()
    if flag.status != FlagStatus.open:
        raise FlagAlreadyResolved()
    flag.status = FlagStatus.resolved.value
    flag.outcome = outcome.value
    flag.resolution_reason = reason
    flag.resolved_by = actor_id
    flag.resolved_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="cashback.flag.resolve",
        subject_type="cashback_flag",
        subject_id=flag.id,
        before={"status": FlagStatus.open.value},
        after={"status": flag.status, "outcome": flag.outcome, "signal": flag.signal},
        reason=reason,
    )
    return flag


# --- settlement ------------------------------------------------------------------------------------

STATEMENT_COLUMNS = (
    "period",
    "registry_number",
    "business",
    "kind",
    "at",
    "receipt",
    "amount_agorot",
    "cashback_agorot",
    "owed_agorot",
)


@dataclass(frozen=True)
class SettlementAnswer:
    settlement: Settlement
    merchant: Merchant
    created: bool


def settle(
    session: Session, settings: Settings, *, period_label: str, now: datetime
) -> list[SettlementAnswer]:
    """Each business's statement for a month that is over, and the city's payment of what it owes
    for the month's redemptions. Running it again for the same month changes nothing."""
    zone = _zone(settings)
    period = eligibility.parse_period(period_label, zone)
    if period.end > now:
        raise PeriodNotOver(period=period.label)
    merchants = MerchantRepository(session).settleable()
    settlements = SettlementRepository(session)
    answers: list[SettlementAnswer] = []
    for merchant in merchants:
        existing = settlements.get(merchant.id, period.label)
        if existing is not None:
            answers.append(SettlementAnswer(existing, merchant, False))
            continue
        values = _statement(session, merchant, period.label, period.start, period.end, zone)
        paid = int(values["paid_agorot"])
        transaction_id: uuid.UUID | None = None
        if paid > 0:
            transaction_id = ledger.post_transaction(
                session,
                idempotency_key=f"cashback:settlement:{merchant.id}:{period.label}",
                kind="cashback_settlement",
                postings=[
                    PostingInput(owed_account(session, merchant.id).id, -paid),
                    PostingInput(_city_account(session, PAYOUTS).id, paid),
                ],
                reference=f"settlement:{merchant.id}:{period.label}",
                now=now,
            ).id
        made = settlements.insert_if_absent(
            {
                **values,
                "id": uuid.uuid4(),
                "created_at": now,
                "merchant_id": merchant.id,
                "period": period.label,
                "transaction_id": transaction_id,
            }
        )
        if made is None:  # settled by a run at this very moment
            winner = settlements.get(merchant.id, period.label)
            assert winner is not None
            answers.append(SettlementAnswer(winner, merchant, False))
        else:
            answers.append(SettlementAnswer(made, merchant, True))
    return answers


def _statement(
    session: Session,
    merchant: Merchant,
    label: str,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> dict[str, Any]:
    repository = PurchaseRepository(session)
    purchases = repository.in_period(merchant.id, start, end)
    refunds = repository.refunds_in_period(merchant.id, start, end)
    redemptions = repository.redemptions_in_period(merchant.id, start, end)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STATEMENT_COLUMNS)
    head = (label, merchant.registry_number, merchant.name)

    def at(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    for p in purchases:
        writer.writerow(
            (*head, "purchase", at(p.created_at), p.receipt, p.amount_agorot, p.cashback_agorot, 0)
        )
    for r in refunds:
        writer.writerow(
            (
                *head,
                "refund",
                at(r.created_at),
                r.receipt or "",
                -r.amount_agorot,
                -r.cashback_taken_back_agorot,
                0,
            )
        )
    for d in redemptions:
        writer.writerow(
            (
                *head,
                "redemption",
                at(d.created_at),
                d.receipt or "",
                d.amount_agorot,
                0,
                d.amount_agorot,
            )
        )
    paid = sum(d.amount_agorot for d in redemptions)
    totals = {
        "purchases": len(purchases),
        "purchases_agorot": sum(p.amount_agorot for p in purchases),
        "cashback_agorot": sum(p.cashback_agorot for p in purchases),
        "refunds_agorot": sum(r.amount_agorot for r in refunds),
        "redemptions": len(redemptions),
        "paid_agorot": paid,
    }
    writer.writerow(
        (
            *head,
            "total",
            "",
            "",
            totals["purchases_agorot"] - totals["refunds_agorot"],
            totals["cashback_agorot"] - sum(r.cashback_taken_back_agorot for r in refunds),
            paid,
        )
    )
    return {**totals, "statement_csv": buffer.getvalue()}


def statement_path(settings: Settings, settlement: Settlement, merchant: Merchant) -> Path:
    return (
        Path(settings.var_dir)
        / "cashback"
        / "statements"
        / settlement.period
        / (f"{merchant.registry_number}.csv")
    )


def write_statement(settings: Settings, answer: SettlementAnswer) -> Path:
    """The statement's CSV under var_dir (written again, the same, when a rerun finds it missing)."""
    path = statement_path(settings, answer.settlement, answer.merchant)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != answer.settlement.statement_csv:
        path.write_text(answer.settlement.statement_csv, encoding="utf-8")
    return path


def statements_of(session: Session, merchant: Merchant) -> Sequence[Settlement]:
    return SettlementRepository(session).of_merchant(merchant.id)


def statement_of(session: Session, merchant: Merchant, period: str) -> Settlement:
    settlement = SettlementRepository(session).get(merchant.id, period)
    if settlement is None:
        raise StatementNotFound()
    return settlement
