"""Every query of cashback's tables."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from benefits.eligibility.models import Programme
from benefits.ledger.models import Account
from cashback.models import (
    Campaign,
    CardTokenUse,
    Flag,
    Merchant,
    MerchantStaff,
    MerchantStatus,
    Purchase,
    Redemption,
    Refund,
    Settlement,
    Wallet,
)
from resident_card.city.models import Neighbourhood, Street

# The window of earlier purchases a business's usual amount is measured over.
HISTORY_ROWS = 200
# Ended campaigns a refused purchase looks through to say ``campaign_ended``.
LATEST_ENDED = 20


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


# The start of every purchase (``MerchantRepository.at_till``), built once.
_AT_TILL = (
    select(Merchant, Neighbourhood.code, Purchase)
    .join(MerchantStaff, MerchantStaff.merchant_id == Merchant.id)
    .join(Neighbourhood, Neighbourhood.id == Merchant.neighbourhood_id)
    .outerjoin(
        Purchase,
        and_(
            Purchase.merchant_id == Merchant.id,
            Purchase.idempotency_key == bindparam("key", type_=Purchase.idempotency_key.type),
        ),
    )
    .where(MerchantStaff.user_id == bindparam("staff_user_id", type_=MerchantStaff.user_id.type))
)


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


class _Repository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Any:
        """INSERT with ``ON CONFLICT DO NOTHING`` in this database's dialect."""
        if self.session.get_bind().dialect.name == "postgresql":
            return postgresql.insert
        return sqlite.insert


class MerchantRepository(_Repository):
    def add(self, merchant: Merchant) -> Merchant:
        self.session.add(merchant)
        self.session.flush()
        return merchant

    def get(self, merchant_id: uuid.UUID, *, for_update: bool = False) -> Merchant | None:
        if not for_update:
            return self.session.get(Merchant, merchant_id)
        return self.session.scalar(
            select(Merchant)
            .where(Merchant.id == merchant_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Merchant]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            m.id: m for m in self.session.scalars(select(Merchant).where(Merchant.id.in_(wanted)))
        }

    def registry_number_taken(self, registry_number: str) -> bool:
        found = self.session.scalar(
            select(Merchant.id).where(Merchant.registry_number == registry_number)
        )
        return found is not None

    def list(self, *, status: str | None, limit: int, offset: int) -> Sequence[Merchant]:
        query = select(Merchant).order_by(Merchant.created_at.desc(), Merchant.id)
        if status is not None:
            query = query.where(Merchant.status == status)
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def settleable(self) -> Sequence[Merchant]:
        """Businesses that were ever let in: approved now, or suspended since."""
        return self.session.scalars(
            select(Merchant)
            .where(
                Merchant.status.in_([MerchantStatus.approved.value, MerchantStatus.suspended.value])
            )
            .order_by(Merchant.registry_number)
        ).all()

    def neighbourhood_codes(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        wanted = set(ids)
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Neighbourhood.id, Neighbourhood.code).where(Neighbourhood.id.in_(wanted))
        )
        return {row[0]: row[1] for row in rows}

    def places(
        self, merchants: Iterable[Merchant]
    ) -> dict[uuid.UUID, tuple[Street, Neighbourhood]]:
        """Each business's street and neighbourhood."""
        merchants = list(merchants)
        streets = {m.street_id for m in merchants}
        neighbourhoods = {m.neighbourhood_id for m in merchants}
        if not merchants:
            return {}
        found_streets = {
            s.id: s for s in self.session.scalars(select(Street).where(Street.id.in_(streets)))
        }
        found_neighbourhoods = {
            n.id: n
            for n in self.session.scalars(
                select(Neighbourhood).where(Neighbourhood.id.in_(neighbourhoods))
            )
        }
        return {
            m.id: (found_streets[m.street_id], found_neighbourhoods[m.neighbourhood_id])
            for m in merchants
        }

    def at_till(
        self, staff_user_id: uuid.UUID, *, key: str | None
    ) -> tuple[Merchant, str, Purchase | None] | None:
        """The staff account's business, its neighbourhood's code, and the business's purchase
        under the idempotency key if there is one: one read for the start of a purchase."""
        row = self.session.execute(_AT_TILL, {"staff_user_id": staff_user_id, "key": key}).first()
        if row is None:
            return None
        return row[0], row[1], row[2]

    def staff_link(self, user_id: uuid.UUID) -> MerchantStaff | None:
        return self.session.scalar(select(MerchantStaff).where(MerchantStaff.user_id == user_id))

    def merchant_of_staff(self, user_id: uuid.UUID) -> Merchant | None:
        return self.session.scalar(
            select(Merchant)
            .join(MerchantStaff, MerchantStaff.merchant_id == Merchant.id)
            .where(MerchantStaff.user_id == user_id)
        )

    def add_staff_if_absent(self, merchant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """Link a staff account to a business; False when the account already belongs to one."""
        statement = (
            self._insert()(MerchantStaff)
            .values(id=uuid.uuid4(), merchant_id=merchant_id, user_id=user_id)
            .on_conflict_do_nothing()
            .returning(MerchantStaff.id)
        )
        return self.session.scalar(statement) is not None

    def remove_staff(self, link: MerchantStaff) -> None:
        self.session.delete(link)
        self.session.flush()

    def staff_of(self, merchant_id: uuid.UUID) -> Sequence[MerchantStaff]:
        return self.session.scalars(
            select(MerchantStaff)
            .where(MerchantStaff.merchant_id == merchant_id)
            .order_by(MerchantStaff.created_at)
        ).all()


class CampaignRepository(_Repository):
    def add(self, campaign: Campaign) -> Campaign:
        self.session.add(campaign)
        self.session.flush()
        return campaign

    def get(self, campaign_id: uuid.UUID, *, for_update: bool = False) -> Campaign | None:
        if not for_update:
            return self.session.get(Campaign, campaign_id)
        return self.session.scalar(
            select(Campaign)
            .where(Campaign.id == campaign_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def programme(self, programme_id: uuid.UUID) -> Programme:
        """A programme by id (a query unless the session still holds it)."""
        programme = self.session.get(Programme, programme_id)
        assert programme is not None  # a decision's foreign key
        return programme

    def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Campaign]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            c.id: c for c in self.session.scalars(select(Campaign).where(Campaign.id.in_(wanted)))
        }

    def by_code(self, code: str) -> Campaign | None:
        return self.session.scalar(select(Campaign).where(Campaign.code == code))

    def list(self, *, limit: int, offset: int) -> Sequence[Campaign]:
        return self.session.scalars(
            select(Campaign)
            .order_by(Campaign.starts_at.desc(), Campaign.code)
            .limit(limit)
            .offset(offset)
        ).all()

    def within_dates(self, at: datetime) -> Sequence[Campaign]:
        """Campaigns that have started and not ended at this moment (paused ones too)."""
        return self.session.scalars(
            select(Campaign)
            .where(Campaign.starts_at <= at, or_(Campaign.ends_at.is_(None), Campaign.ends_at > at))
            .order_by(Campaign.code)
        ).all()

    def latest_ended(self, at: datetime) -> Sequence[Campaign]:
        return self.session.scalars(
            select(Campaign)
            .where(Campaign.ends_at <= at)
            .order_by(Campaign.ends_at.desc(), Campaign.code)
            .limit(LATEST_ENDED)
        ).all()

    def ended_among(self, ids: Sequence[uuid.UUID], at: datetime) -> Sequence[Campaign]:
        """Which of these campaigns have ended by now or been ended by a clerk (at a moment after
        ``at``, while a request that began at ``at`` was on its way), read afresh."""
        return self.session.scalars(
            select(Campaign)
            .where(
                Campaign.id.in_(ids), or_(Campaign.ended_at.is_not(None), Campaign.ends_at <= at)
            )
            .order_by(Campaign.code)
            .execution_options(populate_existing=True)
        ).all()

    def ended_with_budget(self, at: datetime) -> Sequence[uuid.UUID]:
        """Ended campaigns whose budget account has more than it holds for return windows."""
        return self.session.scalars(
            select(Campaign.id)
            .join(Account, Account.id == Campaign.budget_account_id)
            .where(Campaign.ends_at <= at, Account.balance > Account.held_out)
            .order_by(Campaign.id)
        ).all()


class PurchaseRepository(_Repository):
    # Wallets

    def wallet(self, resident_id: uuid.UUID) -> Wallet | None:
        return self.session.scalar(select(Wallet).where(Wallet.resident_id == resident_id))

    def lock_wallet(self, resident_id: uuid.UUID) -> Wallet | None:
        return self.session.scalar(
            select(Wallet)
            .where(Wallet.resident_id == resident_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def insert_wallet_if_absent(self, values: dict[str, Any]) -> None:
        self.session.execute(self._insert()(Wallet).values(**values).on_conflict_do_nothing())

    # Card tokens

    def consume_jti(self, jti: str, merchant_id: uuid.UUID, used_for: str, now: datetime) -> bool:
        """Record a token's use; False when it was used before (or is being used right now by a
        transaction that then commits: PostgreSQL waits for it)."""
        statement = (
            self._insert()(CardTokenUse)
            .values(
                id=uuid.uuid4(), created_at=now, jti=jti, merchant_id=merchant_id, used_for=used_for
            )
            .on_conflict_do_nothing()
            .returning(CardTokenUse.id)
        )
        return self.session.scalar(statement) is not None

    # Purchases

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
        statement = (
            self._insert()(Purchase).values(**values).on_conflict_do_nothing().returning(Purchase)
        )
        purchase: Purchase | None = self.session.scalar(statement)
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
        self.session.execute(
            update(_purchases).where(_purchases.c.id == purchase.id).values(**values)
        )
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
    ) -> Sequence[tuple[uuid.UUID, uuid.UUID]]:
        """(purchase, resident) of purchases whose return window is over and whose hold waits."""
        query = (
            select(Purchase.id, Purchase.resident_id)
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
        return [(row[0], row[1]) for row in self.session.execute(query)]

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

    # Refunds

    def add_refund(self, refund: Refund) -> Refund:
        self.session.add(refund)
        self.session.flush()
        return refund

    def refund(self, refund_id: uuid.UUID) -> Refund | None:
        return self.session.get(Refund, refund_id)

    def refund_by_key(self, purchase_id: uuid.UUID, key: str) -> Refund | None:
        return self.session.scalar(
            select(Refund).where(Refund.purchase_id == purchase_id, Refund.idempotency_key == key)
        )

    def refunds_of(self, purchase_id: uuid.UUID) -> Sequence[Refund]:
        return self.session.scalars(
            select(Refund).where(Refund.purchase_id == purchase_id).order_by(Refund.created_at)
        ).all()

    def refunds_in_period(
        self, merchant_id: uuid.UUID, start: datetime, end: datetime
    ) -> Sequence[Refund]:
        return self.session.scalars(
            select(Refund)
            .where(
                Refund.merchant_id == merchant_id,
                Refund.created_at >= start,
                Refund.created_at < end,
            )
            .order_by(Refund.created_at, Refund.id)
        ).all()

    # Redemptions

    def redemption_by_key(self, merchant_id: uuid.UUID, key: str) -> Redemption | None:
        return self.session.scalar(
            select(Redemption).where(
                Redemption.merchant_id == merchant_id, Redemption.idempotency_key == key
            )
        )

    def insert_redemption_if_absent(self, values: dict[str, Any]) -> Redemption | None:
        statement = (
            self._insert()(Redemption)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(Redemption)
        )
        redemption: Redemption | None = self.session.scalar(statement)
        return redemption

    def redemptions_in_period(
        self, merchant_id: uuid.UUID, start: datetime, end: datetime
    ) -> Sequence[Redemption]:
        return self.session.scalars(
            select(Redemption)
            .where(
                Redemption.merchant_id == merchant_id,
                Redemption.created_at >= start,
                Redemption.created_at < end,
            )
            .order_by(Redemption.created_at, Redemption.id)
        ).all()


class FlagRepository(_Repository):
    def add_all(self, flags: list[Flag]) -> None:
        self.session.add_all(flags)
        self.session.flush()

    def get(self, flag_id: uuid.UUID, *, for_update: bool = False) -> Flag | None:
        if not for_update:
            return self.session.get(Flag, flag_id)
        return self.session.scalar(
            select(Flag)
            .where(Flag.id == flag_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def list(
        self, *, status: str | None, merchant_id: uuid.UUID | None, limit: int, offset: int
    ) -> Sequence[Flag]:
        query = select(Flag).order_by(Flag.created_at.desc(), Flag.id)
        if status is not None:
            query = query.where(Flag.status == status)
        if merchant_id is not None:
            query = query.where(Flag.merchant_id == merchant_id)
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def of_purchase(self, purchase_id: uuid.UUID) -> Sequence[Flag]:
        return self.session.scalars(
            select(Flag).where(Flag.purchase_id == purchase_id).order_by(Flag.signal)
        ).all()

    def purchases(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Purchase]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            p.id: p for p in self.session.scalars(select(Purchase).where(Purchase.id.in_(wanted)))
        }


class SettlementRepository(_Repository):
    def get(self, merchant_id: uuid.UUID, period: str) -> Settlement | None:
        return self.session.scalar(
            select(Settlement).where(
                Settlement.merchant_id == merchant_id, Settlement.period == period
            )
        )

    def insert_if_absent(self, values: dict[str, Any]) -> Settlement | None:
        statement = (
            self._insert()(Settlement)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(Settlement)
        )
        settlement: Settlement | None = self.session.scalar(statement)
        return settlement

    def of_merchant(self, merchant_id: uuid.UUID) -> Sequence[Settlement]:
        return self.session.scalars(
            select(Settlement)
            .where(Settlement.merchant_id == merchant_id)
            .order_by(Settlement.period.desc())
        ).all()
