"""Purchases: a business records one, its cashback held for the return window, and reading them
back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.service.allowances import parse_period
from benefits.eligibility.service.decisions import Decided, decide_under
from benefits.ledger.exceptions import IdempotencyMismatch, InsufficientBalance
from cashback import earning, notices
from cashback.exceptions import (
    AmountInvalid,
    BudgetExhausted,
    CampaignEnded,
    CampaignPaused,
    CapReached,
    NoCampaign,
    NotMerchantStaff,
    PurchaseNotFound,
    ResidentNotEligible,
    TokenReplayed,
)
from cashback.metrics import CASHBACK_AGOROT, PURCHASED_AGOROT, PURCHASES
from cashback.models import Campaign, Merchant, Purchase
from cashback.repository.campaigns import CampaignRepository
from cashback.repository.merchants import MerchantRepository
from cashback.repository.purchases import PurchaseRepository
from cashback.service import accounts, budgets, campaigns, checks, flags, merchants, scans
from cashback.settings import CashbackSettings
from kernel.i18n import Text, day_text
from kernel.kit import idempotency
from kernel.metrics import count_when_committed
from kernel.settings import Settings
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents

# Held cashback is captured when the return window ends; the ledger hold itself lasts this much
# longer, so a late run of the release command still finds it pending.
HOLD_GRACE = timedelta(days=365)


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
    return PurchaseAnswer(
        existing, campaigns.get_campaign(session, existing.campaign_id), merchant, True
    )


def record_purchase(
    session: Session,
    settings: CashbackSettings,
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

    The order keeps a stripe of the campaign's budget locked for as few statements as can be:
    everything is read and written first — the purchase row and its fraud flags too — and the
    cashback's hold, which claims a stripe, comes last, followed by one small update and the
    request's commit.
    """
    repository = PurchaseRepository(session)
    # The business, where it is, and any purchase already recorded under this key: one read.
    till = MerchantRepository(session).at_till(staff_user_id, key=idempotency_key)
    if till is None:
        raise NotMerchantStaff()
    merchant, where, existing = till
    key = checks.check_idempotency_key(idempotency_key)
    request_hash = idempotency.request_hash(
        {"card_token": card_token, "amount_agorot": amount_agorot, "receipt": receipt}
    )
    if existing is not None:
        return _replay_purchase(session, existing, request_hash, merchant)
    merchants.check_approved(merchant)
    checks.check_amount(amount_agorot)
    resident, fresh = scans.scanned_resident(
        session, settings, merchant, card_token, used_for="purchase", now=now
    )
    if not fresh:
        # Used before — by this very request, retried while the first was still running?
        existing = repository.purchase_by_key(merchant.id, key)
        if existing is not None:
            return _replay_purchase(session, existing, request_hash, merchant)
        raise TokenReplayed()

    wallet = accounts.lock_wallet(session, resident.id)
    candidates = _campaigns_for_purchase(session, merchant, where, now=now)
    decided = _decide(session, settings, resident, candidates, now=now)
    decisions = {code: d.decision for code, d in decided.items()}
    eligible = [c for c in candidates if decisions[c.programme_code].eligible]
    if not eligible:
        raise ResidentNotEligible()

    zone = ZoneInfo(settings.city_time_zone)
    month = parse_period(now.astimezone(zone).strftime("%Y-%m"), zone)
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
    offers: list[tuple[Campaign, earning.Earned]] = []
    refusals: list[earning.NotEarned] = []
    for campaign in eligible:
        this_month, today_here = figures.earned[campaign.id]
        earned = earning.earn(
            _terms(campaign), amount_agorot, used_this_month=this_month, used_today_here=today_here
        )
        if isinstance(earned, earning.NotEarned):
            refusals.append(earned)
        else:
            offers.append((campaign, earned))
    if not offers:
        caps = [r for r in refusals if r.kind == "cap_reached"]
        if caps:
            raise CapReached(cap=caps[0].cap)
        raise AmountInvalid(problem=f"below the minimum for cashback ({refusals[0].minimum})")

    available_at = now + timedelta(days=settings.cashback_return_window_days)

    def explanation(campaign: Campaign, earned: earning.Earned) -> list[dict[str, Any]]:
        programme = decided[campaign.programme_code].programme
        return [
            earning.reason("eligible", programme=dict(programme.names)),
            *earned.reasons,
            earning.reason(
                "held",
                days=settings.cashback_return_window_days,
                date=day_text(available_at.astimezone(zone).date()),
            ),
        ]

    def paying_columns(campaign: Campaign, earned: earning.Earned) -> dict[str, Any]:
        """The purchase row's columns that say which campaign pays it, how much and why."""
        return {
            "campaign_id": campaign.id,
            "cashback_agorot": earned.cashback_agorot,
            "rate_bp": campaign.rate_bp,
            "explanation": explanation(campaign, earned),
            "decision_id": decisions[campaign.programme_code].id,
        }

    ranked = earning.best_first(offers)
    purchase_id = uuid.uuid4()
    # The purchase row comes before the hold: its foreign keys share-lock the campaign's row (and
    # the business's, the buyer's) before any stripe is locked, in the order a clerk ending the
    # campaign takes them (its row, then its stripes).
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
            **paying_columns(*ranked[0]),
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
    flags.raise_flags(
        session,
        purchase,
        flags.signals_raised(figures, amount_agorot, flags.fraud_thresholds(settings)),
    )
    # Read before the hold too, so that nothing is read while a stripe of the budget is locked.
    told = notices.credited_recipients(session, resident)

    # Last: the hold, which locks a stripe of the campaign's budget until the request commits.
    for rank, (campaign, earned) in enumerate(ranked):
        try:
            drawn = budgets.hold_cashback(
                session,
                settings,
                campaign,
                to_account_id=wallet.cashback_account_id,
                amount_agorot=earned.cashback_agorot,
                idempotency_key=f"cashback:purchase:{purchase_id}:hold:1",
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
        notices.cashback_credited(
            session, settings, purchase, merchant, earned.cashback_agorot, to=told
        )
        if drawn.from_budget_account:
            # What is left only falls by a chunk or an exact draw; within a chunk, the stripes
            # keep it, and the budget's businesses hear of it at the next.
            notices.budget_spent(session, settings, campaign, earned.cashback_agorot)
        # A campaign further down the list paid: the purchase records its terms instead.
        repository.attach_hold(
            purchase, drawn.hold.id, paying_columns(campaign, earned) if rank else {}
        )
        count_when_committed(session, PURCHASES)
        count_when_committed(session, PURCHASED_AGOROT, amount_agorot)
        count_when_committed(session, CASHBACK_AGOROT, earned.cashback_agorot)
        return PurchaseAnswer(purchase, campaign, merchant, False)
    # No budget: ended by a clerk while this purchase was on its way (its budget went back to the
    # city), or simply spent?
    ended = CampaignRepository(session).ended_among([c.id for c, _ in ranked], now)
    if len(ended) == len(ranked):
        raise CampaignEnded(campaign=ended[0].code)
    raise BudgetExhausted()


def _campaigns_for_purchase(
    session: Session, merchant: Merchant, where: str, *, now: datetime
) -> list[Campaign]:
    """The campaigns a purchase here may earn from now; when there are none, why: a paused
    campaign, one that has ended, or none at all."""
    covering = campaigns.covering(session, merchant, now=now, where=where)
    running = [c for c in covering if c.paused_at is None]
    if running:
        return running
    if covering:
        raise CampaignPaused(campaign=covering[0].code)
    ended = [
        c
        for c in CampaignRepository(session).latest_ended(now)
        if campaigns.covers(c, merchant, where)
    ]
    if ended:
        raise CampaignEnded(campaign=ended[0].code)
    raise NoCampaign()


def _decide(
    session: Session,
    settings: Settings,
    resident: Resident,
    candidates: Sequence[Campaign],
    *,
    now: datetime,
) -> dict[str, Decided]:
    """One recorded eligibility decision per programme the campaigns name, with the programme."""
    facts = residents.resident_facts(session, resident, residents.city_today(now, settings))
    return {
        code: decide_under(
            session, programme_code=code, resident_id=resident.id, facts=facts, now=now
        )
        for code in sorted({c.programme_code for c in candidates})
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


def names_and_rate_as_bought(purchase: Purchase, campaign: Campaign) -> tuple[Text, int]:
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


def _terms(campaign: Campaign) -> earning.Terms:
    return earning.Terms(
        rate_bp=campaign.rate_bp,
        min_purchase_agorot=campaign.min_purchase_agorot,
        cap_per_purchase_agorot=campaign.cap_per_purchase_agorot,
        cap_per_resident_month_agorot=campaign.cap_per_resident_month_agorot,
        cap_per_resident_business_day_agorot=campaign.cap_per_resident_business_day_agorot,
        names=campaign.names,
    )
