"""Fraud signals: the flags a purchase raises as it is recorded, and a clerk's review of them."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cashback import earning
from cashback.exceptions import FlagAlreadyResolved, FlagNotFound
from cashback.models import Flag, FlagOutcome, FlagStatus, Merchant, Purchase
from cashback.repository.flags import FlagRepository
from cashback.repository.merchants import MerchantRepository
from cashback.repository.purchases import PurchaseFigures, PurchaseRepository
from cashback.service import merchants
from cashback.settings import CashbackSettings
from resident_card.audit import service as audit


def fraud_thresholds(settings: CashbackSettings) -> earning.Thresholds:
    """The fraud signals' thresholds, as the city set them (TOSHAV_CASHBACK_…)."""
    return earning.Thresholds(
        resident_purchases_per_hour=settings.cashback_resident_purchases_per_hour,
        business_purchases_per_ten_minutes=settings.cashback_business_purchases_per_ten_minutes,
        repeats_per_day=settings.cashback_repeats_per_day,
        round_amount_from_agorot=settings.cashback_round_amount_from_agorot,
        outlier_deviations=settings.cashback_outlier_deviations,
        outlier_min_history=settings.cashback_outlier_min_history,
    )


def signals_raised(
    figures: PurchaseFigures, amount_agorot: int, thresholds: earning.Thresholds
) -> list[tuple[str, dict[str, Any]]]:
    """The fraud signals a purchase about to be recorded raises (it counts itself)."""
    return earning.fraud_signals(
        earning.PurchaseFigures(
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


def raise_flags(
    session: Session, purchase: Purchase, signals: list[tuple[str, dict[str, Any]]]
) -> None:
    if signals:
        FlagRepository(session).insert_all(
            [
                {
                    "id": uuid.uuid4(),
                    "created_at": purchase.created_at,
                    "purchase_id": purchase.id,
                    "merchant_id": purchase.merchant_id,
                    "signal": signal,
                    "details": details,
                    "status": FlagStatus.open.value,
                }
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
    businesses = MerchantRepository(session).by_ids(f.merchant_id for f in flags)
    return [(f, purchases[f.purchase_id], businesses[f.merchant_id]) for f in flags]


def flag_context(session: Session, flag: Flag) -> tuple[Purchase, Merchant]:
    purchase = PurchaseRepository(session).purchase(flag.purchase_id)
    assert purchase is not None  # a foreign key keeps it there
    return purchase, merchants.get_merchant(session, flag.merchant_id)


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
