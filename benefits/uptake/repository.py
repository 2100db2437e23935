"""Every query of uptake: the allowance grants of a window, and what residents took from their
programme accounts in it, each summed by programme and month in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benefits.eligibility.models import AllowanceGrant, Programme
from benefits.ledger.models import Account, OwnerType, Posting, Transaction
from figures.window import Window

# The ledger's kinds of allowance movement that are not a resident's use: the month's grant, what
# was left at the month's end, taken back (``benefits.eligibility.service.allowances``), and what
# was left when the resident was erased, returned (``benefits.rights``).
NOT_USE = ("grant", "expiry", "erasure")


class UptakeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def programmes(self) -> Sequence[Programme]:
        """The programmes with a periodic allowance, retired ones too, by code."""
        return self.session.scalars(
            select(Programme)
            .where(Programme.allowance_amount.is_not(None))
            .order_by(Programme.code)
        ).all()

    def granted(self, window: Window) -> list[tuple[uuid.UUID, str, int, int]]:
        """(programme, month, residents credited, amount credited) for the window's grants."""
        month = window.month_of(AllowanceGrant.created_at)
        rows = self.session.execute(
            select(
                AllowanceGrant.programme_id,
                month,
                func.count(func.distinct(AllowanceGrant.resident_id)).label("residents"),
                func.sum(AllowanceGrant.amount).label("granted"),
            )
            .where(window.holds(AllowanceGrant.created_at))
            .group_by(AllowanceGrant.programme_id, month)
        )
        return [(row.programme_id, row.month, int(row.residents), int(row.granted)) for row in rows]

    def residents(self, window: Window) -> dict[uuid.UUID, int]:
        """Distinct residents credited each programme's allowance in the window."""
        rows = self.session.execute(
            select(
                AllowanceGrant.programme_id,
                func.count(func.distinct(AllowanceGrant.resident_id)).label("residents"),
            )
            .where(window.holds(AllowanceGrant.created_at))
            .group_by(AllowanceGrant.programme_id)
        )
        return {row.programme_id: int(row.residents) for row in rows}

    def used(self, window: Window, codes: Sequence[str]) -> list[tuple[str, str, int]]:
        """(programme code, month, amount): what left residents' accounts of these programmes in
        the window other than by expiry (and other than a reversal), by the movement's time."""
        if not codes:
            return []
        month = window.month_of(Transaction.effective_at)
        rows = self.session.execute(
            select(Account.purpose, month, func.sum(-Posting.amount).label("used"))
            .select_from(Posting)
            .join(Account, Account.id == Posting.account_id)
            .join(Transaction, Transaction.id == Posting.transaction_id)
            .where(
                Account.owner_type == OwnerType.resident.value,
                Account.purpose.in_(codes),
                Posting.amount < 0,
                Transaction.kind.not_in(NOT_USE),
                Transaction.reverses.is_(None),
                window.holds(Transaction.effective_at),
            )
            .group_by(Account.purpose, month)
        )
        return [(row.purpose, row.month, int(row.used)) for row in rows]
