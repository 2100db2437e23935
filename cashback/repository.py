"""Every query of cashback's tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

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

    def get(self, campaign_id: uuid.UUID) -> Campaign | None:
        return self.session.get(Campaign, campaign_id)

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

    def running(self, at: datetime) -> Sequence[Campaign]:
        return self.session.scalars(
            select(Campaign)
            .where(Campaign.starts_at <= at, or_(Campaign.ends_at.is_(None), Campaign.ends_at > at))
            .order_by(Campaign.code)
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

    def earned(
        self,
        *,
        campaign_id: uuid.UUID,
        resident_id: uuid.UUID,
        merchant_id: uuid.UUID,
        month: tuple[datetime, datetime],
        day: tuple[datetime, datetime],
    ) -> tuple[int, int]:
        """Cashback a resident kept (earned less taken back) in a campaign this month, and today
        at this business (a day inside the month), in one read."""
        kept = Purchase.cashback_agorot - Purchase.cashback_returned_agorot
        today_here = and_(
            Purchase.merchant_id == merchant_id,
            Purchase.created_at >= day[0],
            Purchase.created_at < day[1],
        )
        row = self.session.execute(
            select(
                func.coalesce(func.sum(kept), 0),
                func.coalesce(func.sum(case((today_here, kept), else_=0)), 0),
            ).where(
                Purchase.campaign_id == campaign_id,
                Purchase.resident_id == resident_id,
                Purchase.created_at >= month[0],
                Purchase.created_at < month[1],
            )
        ).one()
        return int(row[0]), int(row[1])

    def recent_counts(
        self,
        *,
        resident_id: uuid.UUID,
        merchant_id: uuid.UUID,
        resident_since: datetime,
        merchant_since: datetime,
        pair_since: datetime,
    ) -> tuple[int, int, int]:
        """Purchases by the resident anywhere, at the business by anyone, and by the resident at
        the business, each since its own moment: one read for the fraud signals."""
        by_resident = and_(
            Purchase.resident_id == resident_id, Purchase.created_at >= resident_since
        )
        at_business = and_(
            Purchase.merchant_id == merchant_id, Purchase.created_at >= merchant_since
        )
        pair = and_(
            Purchase.resident_id == resident_id,
            Purchase.merchant_id == merchant_id,
            Purchase.created_at >= pair_since,
        )
        row = self.session.execute(
            select(
                func.coalesce(func.sum(case((by_resident, 1), else_=0)), 0),
                func.coalesce(func.sum(case((at_business, 1), else_=0)), 0),
                func.coalesce(func.sum(case((pair, 1), else_=0)), 0),
            ).where(
                or_(
                    and_(
                        Purchase.resident_id == resident_id,
                        Purchase.created_at >= min(resident_since, pair_since),
                    ),
                    at_business,
                )
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2])

    def amount_history(
        self, merchant_id: uuid.UUID, *, before: datetime
    ) -> tuple[int, float, float]:
        """How many of the business's latest earlier purchases, their mean amount and mean square."""
        latest = (
            select(Purchase.amount_agorot.label("amount"))
            .where(Purchase.merchant_id == merchant_id, Purchase.created_at < before)
            .order_by(Purchase.created_at.desc())
            .limit(HISTORY_ROWS)
            .subquery()
        )
        row = self.session.execute(
            select(
                func.count(),
                func.avg(latest.c.amount),
                func.avg(latest.c.amount * latest.c.amount),
            )
        ).one()
        return int(row[0] or 0), float(row[1] or 0.0), float(row[2] or 0.0)

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
