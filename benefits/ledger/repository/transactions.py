"""Transactions and their postings: found by id or key, and read for balances and statements."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, func, select

from benefits.ledger.models import Posting, Transaction
from benefits.ledger.repository.base import RepositoryBase


class TransactionRepository(RepositoryBase):
    def transaction(self, transaction_id: uuid.UUID) -> Transaction | None:
        return self.session.get(Transaction, transaction_id)

    def transaction_by_key(self, idempotency_key: str) -> Transaction | None:
        return self.session.scalar(
            select(Transaction).where(Transaction.idempotency_key == idempotency_key)
        )

    def reversal_of(self, transaction_id: uuid.UUID) -> Transaction | None:
        return self.session.scalar(
            select(Transaction).where(Transaction.reverses == transaction_id)
        )

    def postings_of(self, transaction_id: uuid.UUID) -> Sequence[Posting]:
        return self.session.scalars(
            select(Posting).where(Posting.transaction_id == transaction_id).order_by(Posting.id)
        ).all()

    def posted_as_of(self, account_id: uuid.UUID, as_of: datetime) -> int:
        total = self.session.scalar(
            select(func.coalesce(func.sum(Posting.amount), 0))
            .join(Transaction, Transaction.id == Posting.transaction_id)
            .where(Posting.account_id == account_id, Transaction.effective_at <= as_of)
        )
        return int(total or 0)

    def statement(
        self, account_id: uuid.UUID, *, limit: int, before: int | None
    ) -> Sequence[Row[Posting, Transaction]]:
        query = (
            select(Posting, Transaction)
            .join(Transaction, Transaction.id == Posting.transaction_id)
            .where(Posting.account_id == account_id)
            .order_by(Posting.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(Posting.id < before)
        return self.session.execute(query).all()
