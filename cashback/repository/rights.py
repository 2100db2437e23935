"""What cashback's tables hold about a person, read for their file and changed to forget them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from cashback.models import Campaign, Merchant, Purchase, Redemption, Refund, Wallet
from cashback.repository.base import Repository


class CashbackRecords(Repository):
    def wallets(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Wallet]:
        return self.session.scalars(
            select(Wallet).where(Wallet.resident_id.in_(resident_ids))
        ).all()

    def purchases(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Purchase]:
        return self.session.scalars(
            select(Purchase)
            .where(Purchase.resident_id.in_(resident_ids))
            .order_by(Purchase.created_at, Purchase.id)
        ).all()

    def held_purchases(self, resident_id: uuid.UUID) -> Sequence[Purchase]:
        """The resident's purchases whose cashback is still held, locked."""
        return self.session.scalars(
            select(Purchase)
            .where(
                Purchase.resident_id == resident_id,
                Purchase.released_at.is_(None),
                Purchase.hold_id.is_not(None),
            )
            .order_by(Purchase.created_at, Purchase.id)
            .with_for_update()
        ).all()

    def refunds(self, purchase_ids: Sequence[uuid.UUID]) -> Sequence[Refund]:
        if not purchase_ids:
            return []
        return self.session.scalars(
            select(Refund)
            .where(Refund.purchase_id.in_(purchase_ids))
            .order_by(Refund.created_at, Refund.id)
        ).all()

    def redemptions(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Redemption]:
        return self.session.scalars(
            select(Redemption)
            .where(Redemption.resident_id.in_(resident_ids))
            .order_by(Redemption.created_at, Redemption.id)
        ).all()

    def merchant_names(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = self.session.execute(select(Merchant.id, Merchant.name).where(Merchant.id.in_(ids)))
        return {row.id: row.name for row in rows}

    def campaign_codes(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = self.session.execute(select(Campaign.id, Campaign.code).where(Campaign.id.in_(ids)))
        return {row.id: row.code for row in rows}
