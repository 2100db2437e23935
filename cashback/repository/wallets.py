"""Residents' cashback wallets: the row that names their two ledger accounts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, select

from cashback.models import Wallet
from cashback.repository.base import Repository
from kernel.kit import inserts

# Every purchase locks its buyer's wallet: built once.
_LOCK = (
    select(Wallet)
    .where(Wallet.resident_id == bindparam("resident_id", type_=Wallet.resident_id.type))
    .with_for_update()
    .execution_options(populate_existing=True)
)


class WalletRepository(Repository):
    def get(self, resident_id: uuid.UUID) -> Wallet | None:
        return self.session.scalar(select(Wallet).where(Wallet.resident_id == resident_id))

    def lock(self, resident_id: uuid.UUID) -> Wallet | None:
        return self.session.scalar(_LOCK, {"resident_id": resident_id})

    def insert_if_absent(self, values: dict[str, Any]) -> None:
        self.session.execute(inserts.insert_if_absent(self.session, Wallet).values(**values))
