"""Residents' cashback wallets: the row that names their two ledger accounts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from cashback.models import Wallet
from cashback.repository.base import Repository
from kernel.kit import inserts


class WalletRepository(Repository):
    def get(self, resident_id: uuid.UUID) -> Wallet | None:
        return self.session.scalar(select(Wallet).where(Wallet.resident_id == resident_id))

    def lock(self, resident_id: uuid.UUID) -> Wallet | None:
        return self.session.scalar(
            select(Wallet)
            .where(Wallet.resident_id == resident_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def insert_if_absent(self, values: dict[str, Any]) -> None:
        self.session.execute(inserts.insert_if_absent(self.session, Wallet).values(**values))
