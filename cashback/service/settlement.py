"""Settlement: each business's statement for a month that is over, and the city's payment of what
it owes for the month's redemptions.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.service.allowances import parse_period
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from cashback.exceptions import PeriodNotOver, StatementNotFound
from cashback.models import Merchant, Settlement
from cashback.repository.merchants import MerchantRepository
from cashback.repository.purchases import PurchaseRepository
from cashback.repository.redemptions import RedemptionRepository
from cashback.repository.refunds import RefundRepository
from cashback.repository.settlement import SettlementRepository
from cashback.service import accounts
from kernel.settings import Settings

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
    zone = ZoneInfo(settings.city_time_zone)
    period = parse_period(period_label, zone)
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
            transaction_id = post_transaction(
                session,
                idempotency_key=f"cashback:settlement:{merchant.id}:{period.label}",
                kind="cashback_settlement",
                postings=[
                    PostingInput(accounts.owed_account(session, merchant.id).id, -paid),
                    PostingInput(accounts.city_account(session, accounts.PAYOUTS).id, paid),
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
    session: Session, merchant: Merchant, label: str, start: datetime, end: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    purchases = PurchaseRepository(session).in_period(merchant.id, start, end)
    refunds = RefundRepository(session).in_period(merchant.id, start, end)
    redemptions = RedemptionRepository(session).in_period(merchant.id, start, end)
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


@dataclass(frozen=True)
class Statement:
    """A month's statement: ``final`` once the month is settled (the city paid what it owed);
    before that, the month so far, made afresh from what is recorded, and stored nowhere."""

    settlement: Settlement
    final: bool


def statements_of(
    session: Session, settings: Settings, merchant: Merchant, *, now: datetime
) -> list[Statement]:
    """Every settled month, newest first, after the month under way (provisional) unless that one
    is settled already."""
    settled = [Statement(s, True) for s in SettlementRepository(session).of_merchant(merchant.id)]
    current = _provisional(session, settings, merchant, _month_of(now, settings), now)
    if any(statement.settlement.period == current.settlement.period for statement in settled):
        return settled
    return [current, *settled]


def statement_of(
    session: Session, settings: Settings, merchant: Merchant, period: str, *, now: datetime
) -> Statement:
    """The month's statement: final if settled, provisional if the month has begun; a month to
    come, or one over before the business joined, has none."""
    settlement = SettlementRepository(session).get(merchant.id, period)
    if settlement is not None:
        return Statement(settlement, True)
    month = parse_period(period, ZoneInfo(settings.city_time_zone))
    if month.start > now or month.end <= merchant.created_at:
        raise StatementNotFound()
    return _provisional(session, settings, merchant, period, now)


def _month_of(now: datetime, settings: Settings) -> str:
    return now.astimezone(ZoneInfo(settings.city_time_zone)).strftime("%Y-%m")


def _provisional(
    session: Session, settings: Settings, merchant: Merchant, period_label: str, now: datetime
) -> Statement:
    zone = ZoneInfo(settings.city_time_zone)
    period = parse_period(period_label, zone)
    values = _statement(session, merchant, period.label, period.start, min(period.end, now), zone)
    # Transient: never added to the session, so nothing of it is written.
    settlement = Settlement(
        **values,
        id=uuid.uuid4(),
        created_at=now,
        merchant_id=merchant.id,
        period=period.label,
        transaction_id=None,
    )
    return Statement(settlement, False)
