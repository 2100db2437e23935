"""Purchases: recording them, what their caps and fraud signals read, and their return windows."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from cashback.models import Purchase
from cashback.repository.base import Repository

# The window of earlier purchases a business's usual amount is measured over.
HISTORY_ROWS = 200


@dataclass(frozen=True)
class PurchaseFigures:
    """What a purchase's caps and fraud signals look at, read in one statement."""

    # Per campaign: the cashback the resident kept this month in it, and today at this business.
    earned: dict[uuid.UUID, tuple[int, int]]
    by_resident: int  # the resident's purchases anywhere in the last hour
    at_business: int  # the business's purchases in the last ten minutes
    pair: int  # the resident's purchases at the business today
    history: int  # how many of the business's latest earlier purchases (up to HISTORY_ROWS)
    mean: float  # their mean amount
    mean_square: float  # and mean square


_purchases = cast(Table, Purchase.__table__)


@functools.cache
def _figures_statement(campaigns: int) -> Any:
    """The statement of ``PurchaseRepository.purchase_figures`` for this many campaigns, built
    once: every purchase runs it, and building it took more CPU than running it."""
    resident_id = bindparam("resident_id", type_=Purchase.resident_id.type)
    merchant_id = bindparam("merchant_id", type_=Purchase.merchant_id.type)

    def at(name: str) -> Any:
        return bindparam(name, type_=Purchase.created_at.type)

    kept = Purchase.cashback_agorot - Purchase.cashback_returned_agorot
    today_here = and_(
        Purchase.merchant_id == merchant_id,
        Purchase.created_at >= at("day_start"),
        Purchase.created_at < at("day_end"),
    )
    columns: list[Any] = []
    for index in range(campaigns):
        campaign_id = bindparam(f"campaign_{index}", type_=Purchase.campaign_id.type)
        this_month = and_(
            Purchase.campaign_id == campaign_id,
            Purchase.resident_id == resident_id,
            Purchase.created_at >= at("month_start"),
            Purchase.created_at < at("month_end"),
        )
        columns.append(select(func.coalesce(func.sum(kept), 0)).where(this_month))
        columns.append(
            select(func.coalesce(func.sum(kept), 0)).where(
                Purchase.campaign_id == campaign_id, Purchase.resident_id == resident_id, today_here
            )
        )
    by_resident = and_(
        Purchase.resident_id == resident_id, Purchase.created_at >= at("resident_since")
    )
    at_business = and_(
        Purchase.merchant_id == merchant_id, Purchase.created_at >= at("merchant_since")
    )
    pair = and_(Purchase.resident_id == resident_id, today_here)
    recent = (
        select(
            func.coalesce(func.sum(case((by_resident, 1), else_=0)), 0).label("by_resident"),
            func.coalesce(func.sum(case((at_business, 1), else_=0)), 0).label("at_business"),
            func.coalesce(func.sum(case((pair, 1), else_=0)), 0).label("pair"),
        )
        .where(
            or_(
                and_(
                    Purchase.resident_id == resident_id,
                    Purchase.created_at >= at("resident_or_pair_since"),
                ),
                at_business,
            )
        )
        .subquery()
    )
    latest = (
        select(Purchase.amount_agorot.label("amount"))
        .where(Purchase.merchant_id == merchant_id, Purchase.created_at < at("before"))
        .order_by(Purchase.created_at.desc())
        .limit(HISTORY_ROWS)
        .subquery()
    )
    history = select(
        func.count().label("history"),
        func.avg(latest.c.amount).label("mean"),
        func.avg(latest.c.amount * latest.c.amount).label("mean_square"),
    ).subquery()
    return select(
        *(column.scalar_subquery() for column in columns),
        recent.c.by_resident,
        recent.c.at_business,
        recent.c.pair,
        history.c.history,
        history.c.mean,
        history.c.mean_square,
    ).select_from(recent.join(history, literal(True)))


@functools.cache
def _insert_statement(dialect: str, columns: tuple[str, ...]) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` of a purchase with these columns, built
    once per dialect: every purchase sends it, and building it cost more CPU than sending it."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(_purchases)
        .values({name: bindparam(name, type_=_purchases.c[name].type) for name in columns})
        .on_conflict_do_nothing()
        .returning(_purchases.c.id)
    )


# The last statement of nearly every purchase, built once.
_ATTACH_HOLD = (
    update(_purchases)
    .where(_purchases.c.id == bindparam("purchase_id", type_=_purchases.c.id.type))
    .values(hold_id=bindparam("hold_id", type_=_purchases.c.hold_id.type))
)


class PurchaseRepository(Repository):
    def purchase(self, purchase_id: uuid.UUID, *, for_update: bool = False) -> Purchase | None:
        if not for_update:
            return self.session.get(Purchase, purchase_id)
        return self.session.scalar(
            select(Purchase)
            .where(Purchase.id == purchase_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def purchase_by_key(self, merchant_id: uuid.UUID, key: str) -> Purchase | None:
        return self.session.scalar(
            select(Purchase).where(
                Purchase.merchant_id == merchant_id, Purchase.idempotency_key == key
            )
        )

    def insert_purchase_if_absent(self, values: dict[str, Any]) -> Purchase | None:
        """Insert the purchase (these columns) unless its business already has one under its
        idempotency key: None then."""
        row = {column.name: values.get(column.name) for column in _purchases.columns}
        dialect = self.session.get_bind().dialect.name
        if self.session.scalar(_insert_statement(dialect, tuple(row)), row) is None:
            return None
        # The row as written, every column given: the session holds it as though it had read it
        # back (no ORM round of its own for the INSERT).
        purchase = Purchase(**row)
        make_transient_to_detached(purchase)
        self.session.add(purchase)
        return purchase

    def purchase_figures(
        self,
        *,
        campaign_ids: Sequence[uuid.UUID],
        resident_id: uuid.UUID,
        merchant_id: uuid.UUID,
        month: tuple[datetime, datetime],
        day: tuple[datetime, datetime],
        resident_since: datetime,
        merchant_since: datetime,
        before: datetime,
    ) -> PurchaseFigures:
        """Everything a purchase's caps and fraud signals read, in one statement: per campaign,
        the cashback the resident kept (earned less taken back) this month and today at this
        business; the resident's, the business's and the pair's recent purchases; the business's
        usual amount."""
        parameters: dict[str, Any] = {
            "resident_id": resident_id,
            "merchant_id": merchant_id,
            "month_start": month[0],
            "month_end": month[1],
            "day_start": day[0],
            "day_end": day[1],
            "resident_since": resident_since,
            "merchant_since": merchant_since,
            "resident_or_pair_since": min(resident_since, day[0]),
            "before": before,
        }
        for index, campaign_id in enumerate(campaign_ids):
            parameters[f"campaign_{index}"] = campaign_id
        row = self.session.execute(_figures_statement(len(campaign_ids)), parameters).one()
        values = list(row)
        earned = {
            campaign_id: (int(values[2 * i]), int(values[2 * i + 1]))
            for i, campaign_id in enumerate(campaign_ids)
        }
        rest = values[2 * len(campaign_ids) :]
        return PurchaseFigures(
            earned=earned,
            by_resident=int(rest[0]),
            at_business=int(rest[1]),
            pair=int(rest[2]),
            history=int(rest[3] or 0),
            mean=float(rest[4] or 0.0),
            mean_square=float(rest[5] or 0.0),
        )

    def attach_hold(self, purchase: Purchase, hold_id: uuid.UUID, changes: dict[str, Any]) -> None:
        """Link the purchase to its cashback's hold (and record other terms when a campaign other
        than the first choice paid): one small UPDATE, the last statement before the commit."""
        values = {"hold_id": hold_id, **changes}
        if changes:
            self.session.execute(
                update(_purchases).where(_purchases.c.id == purchase.id).values(**values)
            )
        else:
            self.session.execute(_ATTACH_HOLD, {"purchase_id": purchase.id, "hold_id": hold_id})
        for name, value in values.items():
            set_committed_value(purchase, name, value)

    def purchases_of_merchant(
        self, merchant_id: uuid.UUID, *, limit: int, offset: int
    ) -> Sequence[Purchase]:
        return self.session.scalars(
            select(Purchase)
            .where(Purchase.merchant_id == merchant_id)
            .order_by(Purchase.created_at.desc(), Purchase.id)
            .limit(limit)
            .offset(offset)
        ).all()

    def purchases_of_resident(self, resident_id: uuid.UUID, *, limit: int) -> Sequence[Purchase]:
        return self.session.scalars(
            select(Purchase)
            .where(Purchase.resident_id == resident_id)
            .order_by(Purchase.created_at.desc(), Purchase.id)
            .limit(limit)
        ).all()

    def due(
        self, now: datetime, *, resident_id: uuid.UUID | None = None, limit: int
    ) -> Sequence[tuple[uuid.UUID, uuid.UUID, uuid.UUID]]:
        """(purchase, resident, hold) of purchases whose return window is over and whose hold
        waits."""
        query = (
            select(Purchase.id, Purchase.resident_id, Purchase.hold_id)
            .where(
                Purchase.released_at.is_(None),
                Purchase.hold_id.is_not(None),
                Purchase.available_at <= now,
            )
            .order_by(Purchase.resident_id, Purchase.available_at, Purchase.id)
            .limit(limit)
        )
        if resident_id is not None:
            query = query.where(Purchase.resident_id == resident_id)
        return [
            (row[0], row[1], row[2])
            for row in self.session.execute(query)
            if row[2] is not None  # the query's own condition: typed for the reader
        ]

    def residents_due(self, now: datetime, *, limit: int) -> list[uuid.UUID]:
        return list(
            self.session.scalars(
                select(Purchase.resident_id)
                .where(
                    Purchase.released_at.is_(None),
                    Purchase.hold_id.is_not(None),
                    Purchase.available_at <= now,
                )
                .group_by(Purchase.resident_id)
                .order_by(Purchase.resident_id)
                .limit(limit)
            )
        )

    def in_period(
        self, merchant_id: uuid.UUID, start: datetime, end: datetime
    ) -> Sequence[Purchase]:
        return self.session.scalars(
            select(Purchase)
            .where(
                Purchase.merchant_id == merchant_id,
                Purchase.created_at >= start,
                Purchase.created_at < end,
            )
            .order_by(Purchase.created_at, Purchase.id)
        ).all()
