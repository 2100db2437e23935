"""Holds (two-phase transfers): made once per key, found, tidied when due, and summed."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select

from benefits.ledger.models import Hold, HoldPosting, HoldStatus
from benefits.ledger.repository.base import RepositoryBase
from kernel.kit.inserts import insert_if_absent

# What holds reserve from an account (its outgoing side) and bring to it (its incoming side).
_RESERVED = func.coalesce(func.sum(case((HoldPosting.amount < 0, -HoldPosting.amount), else_=0)), 0)
_INCOMING = func.coalesce(func.sum(case((HoldPosting.amount > 0, HoldPosting.amount), else_=0)), 0)


class HoldRepository(RepositoryBase):
    def hold(self, hold_id: uuid.UUID, *, for_update: bool = False) -> Hold | None:
        if not for_update:
            return self.session.get(Hold, hold_id)
        return self.session.scalar(
            select(Hold)
            .where(Hold.id == hold_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def hold_by_key(self, idempotency_key: str) -> Hold | None:
        return self.session.scalar(select(Hold).where(Hold.idempotency_key == idempotency_key))

    def insert_hold_if_absent(self, values: dict[str, Any]) -> Hold | None:
        statement = insert_if_absent(self.session, Hold).values(**values).returning(Hold)
        hold: Hold | None = self.session.scalar(statement)
        return hold

    def add_hold_postings(self, rows: list[dict[str, Any]]) -> None:
        self.session.execute(insert(HoldPosting), rows)

    def hold_postings_of(self, hold_ids: Iterable[uuid.UUID]) -> Sequence[HoldPosting]:
        return self.session.scalars(
            select(HoldPosting)
            .where(HoldPosting.hold_id.in_(list(hold_ids)))
            .order_by(HoldPosting.id)
        ).all()

    def due_holds(self, now: datetime, *, limit: int) -> Sequence[Hold]:
        """Pending holds past their expiry, locked; those another writer holds are skipped."""
        return self.session.scalars(
            select(Hold)
            .where(Hold.status == HoldStatus.pending.value, Hold.expires_at <= now)
            .order_by(Hold.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()

    def held_amounts(
        self, account_id: uuid.UUID, *, at: datetime, as_of_history: bool = False
    ) -> tuple[int, int]:
        """What the account's holds reserve (outgoing) and bring (incoming) at a moment.

        For now: holds still pending and not yet expired. For a past moment: holds made by then
        and neither resolved nor expired at it.
        """
        pending_at = (
            and_(
                Hold.created_at <= at,
                Hold.expires_at > at,
                or_(Hold.resolved_at.is_(None), Hold.resolved_at > at),
            )
            if as_of_history
            else and_(Hold.status == HoldStatus.pending.value, Hold.expires_at > at)
        )
        row = self.session.execute(
            select(_RESERVED, _INCOMING)
            .join(Hold, Hold.id == HoldPosting.hold_id)
            .where(HoldPosting.account_id == account_id, pending_at)
        ).one()
        return int(row[0]), int(row[1])

    def held_amounts_now(
        self, account_ids: Iterable[uuid.UUID], *, at: datetime
    ) -> dict[uuid.UUID, tuple[int, int]]:
        """``held_amounts`` now, for several accounts in one statement; an account without a
        pending hold is left out."""
        wanted = sorted(set(account_ids))
        if not wanted:
            return {}
        rows = self.session.execute(
            select(HoldPosting.account_id, _RESERVED, _INCOMING)
            .join(Hold, Hold.id == HoldPosting.hold_id)
            .where(
                HoldPosting.account_id.in_(wanted),
                Hold.status == HoldStatus.pending.value,
                Hold.expires_at > at,
            )
            .group_by(HoldPosting.account_id)
        )
        return {row[0]: (int(row[1]), int(row[2])) for row in rows}
