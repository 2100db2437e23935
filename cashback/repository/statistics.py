"""The queries behind cashback's statistics: sums over a window's purchases, releases and flags,
each grouped in one statement (by month, by campaign, by business, by neighbourhood and category),
never a statement per row."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, func, or_, select

from benefits.ledger.models import Posting, Transaction
from cashback.models import Campaign, Flag, FlagOutcome, FlagStatus, Merchant, Purchase
from cashback.repository.base import Repository
from figures.window import Column, Window
from resident_card.city.models import Neighbourhood


@dataclass(frozen=True)
class PurchaseSums:
    """What a group of purchases came to: how many, paid and cashback (net of refunds), by whom."""

    purchases: int
    amount_agorot: int
    cashback_agorot: int
    residents: int


def _paid() -> ColumnElement[Any]:
    return func.coalesce(func.sum(Purchase.amount_agorot - Purchase.refunded_agorot), 0)


def _cashback() -> ColumnElement[Any]:
    return func.coalesce(func.sum(Purchase.cashback_agorot - Purchase.cashback_returned_agorot), 0)


def _sums(row: Any, *, residents: bool = True) -> PurchaseSums:
    return PurchaseSums(
        purchases=int(row.purchases),
        amount_agorot=int(row.amount),
        cashback_agorot=int(row.cashback),
        residents=int(row.residents) if residents else 0,
    )


def _totals(each: Subquery) -> tuple[ColumnElement[Any], ...]:
    """Sums over per-resident rows: purchases, paid, cashback, and the residents themselves."""
    return (
        func.sum(each.c.purchases).label("purchases"),
        func.sum(each.c.amount).label("amount"),
        func.sum(each.c.cashback).label("cashback"),
        func.count().label("residents"),
    )


class StatisticsRepository(Repository):
    # --- campaigns ---------------------------------------------------------------------------

    def campaigns_in(self, window: Window) -> Sequence[Campaign]:
        """Campaigns whose dates meet the window, or that earned in it (a purchase's own campaign
        may have ended since), oldest first."""
        earned = select(Purchase.campaign_id).where(window.holds(Purchase.created_at))
        return self.session.scalars(
            select(Campaign)
            .where(
                or_(
                    and_(
                        Campaign.starts_at < window.end,
                        or_(Campaign.ends_at.is_(None), Campaign.ends_at > window.start),
                    ),
                    Campaign.id.in_(earned),
                )
            )
            .order_by(Campaign.starts_at, Campaign.code)
        ).all()

    def funded(self, campaigns: Sequence[Campaign], *, top_up_kind: str) -> dict[uuid.UUID, int]:
        """What the city's top-ups put into each campaign's budget in all, read through the
        top-ups' reference (not the budgets' every posting)."""
        if not campaigns:
            return {}
        rows = self.session.execute(
            select(Campaign.id, func.sum(Posting.amount).label("funded"))
            .join(Transaction, Transaction.id == Posting.transaction_id)
            .join(Campaign, Campaign.budget_account_id == Posting.account_id)
            .where(
                Transaction.reference.in_([f"campaign:{c.id}" for c in campaigns]),
                Transaction.kind == top_up_kind,
            )
            .group_by(Campaign.id)
        )
        return {row.id: int(row.funded) for row in rows}

    def credited(self, window: Window) -> list[tuple[uuid.UUID, str, int]]:
        """(campaign, month, cashback its purchases of the month earned, net of take-backs)."""
        month = window.month_of(Purchase.created_at)
        rows = self.session.execute(
            select(Purchase.campaign_id, month, _cashback().label("cashback"))
            .where(window.holds(Purchase.created_at))
            .group_by(Purchase.campaign_id, month)
        )
        return [(row.campaign_id, row.month, int(row.cashback)) for row in rows]

    def released(self, window: Window) -> list[tuple[uuid.UUID, str, int]]:
        """(campaign, month, cashback of its purchases released in the month: the hold captured
        from the budget into residents' spendable cashback), from the release's own index."""
        month = window.month_of(Purchase.released_at)
        rows = self.session.execute(
            select(
                Purchase.campaign_id,
                month,
                func.coalesce(func.sum(Purchase.released_agorot), 0).label("released"),
            )
            .where(window.holds(Purchase.released_at), Purchase.released_agorot.is_not(None))
            .group_by(Purchase.campaign_id, month)
        )
        return [(row.campaign_id, row.month, int(row.released)) for row in rows]

    # --- purchases by place, month and business ----------------------------------------------

    def _by_resident(self, window: Window, *keys: Column) -> Subquery:
        """The window's purchases summed per resident within each group of ``keys``: grouped
        again by the keys, its rows count the distinct residents (one hashed grouping each, where
        ``count(DISTINCT …)`` would sort every purchase)."""
        return (
            select(
                *keys,
                Purchase.resident_id,
                func.count().label("purchases"),
                _paid().label("amount"),
                _cashback().label("cashback"),
            )
            .join(Merchant, Merchant.id == Purchase.merchant_id)
            .where(window.holds(Purchase.created_at))
            .group_by(*keys, Purchase.resident_id)
            .subquery()
        )

    def by_place(self, window: Window) -> list[tuple[uuid.UUID, str, PurchaseSums]]:
        """(the business's neighbourhood, its category, what the window's purchases there came to)."""
        each = self._by_resident(window, Merchant.neighbourhood_id, Merchant.category)
        rows = self.session.execute(
            select(each.c.neighbourhood_id, each.c.category, *_totals(each)).group_by(
                each.c.neighbourhood_id, each.c.category
            )
        )
        return [(row.neighbourhood_id, row.category, _sums(row)) for row in rows]

    def by_month(self, window: Window) -> dict[str, PurchaseSums]:
        month = window.month_of(Purchase.created_at)
        rows = self.session.execute(
            select(
                month,
                func.count().label("purchases"),
                _paid().label("amount"),
                _cashback().label("cashback"),
            )
            .where(window.holds(Purchase.created_at))
            .group_by(month)
        )
        return {row.month: _sums(row, residents=False) for row in rows}

    def busiest(self, window: Window, *, limit: int) -> list[tuple[uuid.UUID, PurchaseSums]]:
        """The businesses with the most paid in the window's purchases, most first."""
        each = self._by_resident(window, Merchant.id.label("merchant_id"))
        purchases, amount, cashback, residents = _totals(each)
        rows = self.session.execute(
            select(each.c.merchant_id, purchases, amount, cashback, residents)
            .group_by(each.c.merchant_id)
            .order_by(amount.desc(), purchases.desc(), each.c.merchant_id)
            .limit(limit)
        )
        return [(row.merchant_id, _sums(row)) for row in rows]

    def businesses(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, tuple[Merchant, str]]:
        """Businesses by id, each with its neighbourhood's code."""
        wanted = set(ids)
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Merchant, Neighbourhood.code)
            .join(Neighbourhood, Neighbourhood.id == Merchant.neighbourhood_id)
            .where(Merchant.id.in_(wanted))
        )
        return {merchant.id: (merchant, code) for merchant, code in rows}

    def neighbourhoods(self) -> Sequence[Neighbourhood]:
        return self.session.scalars(select(Neighbourhood).order_by(Neighbourhood.code)).all()

    # --- flags --------------------------------------------------------------------------------

    def flag_outcomes(self, window: Window) -> list[tuple[str, str, int]]:
        """(month, outcome, purchases): each purchase flagged in the window once, in the month it
        was made, ``confirmed`` if a clerk confirmed any of its flags, else ``open`` while any is
        still open, else ``dismissed``."""
        flagged = (
            select(
                Flag.purchase_id,
                func.min(Flag.created_at).label("at"),
                func.sum(case((Flag.outcome == FlagOutcome.confirmed.value, 1), else_=0)).label(
                    "confirmed"
                ),
                func.sum(case((Flag.status == FlagStatus.open.value, 1), else_=0)).label("open"),
            )
            .where(window.holds(Flag.created_at))
            .group_by(Flag.purchase_id)
            .subquery()
        )
        outcome = case(
            (flagged.c.confirmed > 0, FlagOutcome.confirmed.value),
            (flagged.c.open > 0, FlagStatus.open.value),
            else_=FlagOutcome.dismissed.value,
        ).label("outcome")
        month = window.month_of(flagged.c.at)
        rows = self.session.execute(
            select(month, outcome, func.count().label("purchases")).group_by(month, outcome)
        )
        return [(row.month, row.outcome, int(row.purchases)) for row in rows]
