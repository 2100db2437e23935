"""Every query of uptake: the allowance grants of a window, and what residents took from their
programme accounts in it, each summed by programme and month in one statement; what they took is
read from its rollup by day (``models``) and from the ledger's postings after the rollup's mark."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from benefits.eligibility.models import AllowanceGrant, Programme
from benefits.ledger.models import Account, OwnerType, Posting, Transaction
from benefits.uptake.models import UptakeUsedDay
from figures.rollups.models import RollupMark
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
        """Distinct residents credited each programme's allowance in the window, counted as the
        rows of a grouping by resident (hashed on PostgreSQL, where ``count(DISTINCT …)`` over the
        whole window sorts every grant)."""
        each = (
            select(AllowanceGrant.programme_id)
            .where(window.holds(AllowanceGrant.created_at))
            .group_by(AllowanceGrant.programme_id, AllowanceGrant.resident_id)
            .subquery()
        )
        rows = self.session.execute(
            select(each.c.programme_id, func.count().label("residents")).group_by(
                each.c.programme_id
            )
        )
        return {row.programme_id: int(row.residents) for row in rows}

    def used(
        self, window: Window, codes: Sequence[str], *, after: int
    ) -> list[tuple[str, str, int]]:
        """(programme code, month, amount) for the window's uses in postings numbered after
        ``after`` (the rollup's mark), grouped by month."""
        if not codes:
            return []
        month = window.month_of(Transaction.effective_at)
        uses, amount = _uses(codes, after, None, window.holds(Transaction.effective_at))
        rows = self.session.execute(
            uses.add_columns(month, func.sum(-amount).label("used")).group_by(
                Account.purpose, month
            )
        )
        return [(row.purpose, row.month, int(row.used)) for row in rows]

    def rolled_up(
        self, window: Window, codes: Sequence[str], name: str
    ) -> tuple[int, list[tuple[str, date, int]]]:
        """The rollup's mark and its day rows of these programmes in the window, read in one
        statement: the worker moves both in one transaction, and two statements (on PostgreSQL,
        two snapshots) could pair an old mark with new day rows, counting a use twice, or the
        other way round, missing it. (0, nothing) when the rollup never ran."""
        rows = self.session.execute(
            select(RollupMark.through, UptakeUsedDay.purpose, UptakeUsedDay.day, UptakeUsedDay.used)
            .select_from(RollupMark)
            .outerjoin(
                UptakeUsedDay,
                and_(UptakeUsedDay.purpose.in_(codes), window.holds_day(UptakeUsedDay.day)),
            )
            .where(RollupMark.name == name)
        ).all()
        through = int(rows[0].through) if rows else 0
        days = [(r.purpose, r.day, int(r.used)) for r in rows if r.purpose is not None]
        return through, days

    def uses_between(
        self, codes: Sequence[str], after: int, through: int
    ) -> Iterable[tuple[str, datetime, int]]:
        """(programme code, effective time, amount) of each use in postings ``(after, through]``,
        for the rollup to sum by city day."""
        if not codes:
            return []
        uses, amount = _uses(codes, after, through)
        rows = self.session.execute(uses.add_columns(Transaction.effective_at, -amount))
        return ((purpose, at, int(amount)) for purpose, at, amount in rows)

    def day_rows(
        self, codes: Iterable[str], first: date, last: date
    ) -> dict[tuple[str, date], UptakeUsedDay]:
        """The rollup's rows of these programmes from ``first`` to ``last``, by (code, day)."""
        rows = self.session.scalars(
            select(UptakeUsedDay).where(
                UptakeUsedDay.purpose.in_(list(codes)),
                UptakeUsedDay.day >= first,
                UptakeUsedDay.day <= last,
            )
        )
        return {(row.purpose, row.day): row for row in rows}

    def add_day(self, purpose: str, day: date, used: int) -> None:
        self.session.add(UptakeUsedDay(purpose=purpose, day=day, used=used))


def _uses(
    codes: Sequence[str], after: int, through: int | None, *where: ColumnElement[bool]
) -> tuple[Select[Any], ColumnElement[int]]:
    """Postings numbered ``(after, through]`` that are a resident's use of one of these
    programmes: what left their allowance account other than by the month's grant or expiry, and
    other than a reversal; with the posting's amount. The postings in range are read first (by
    their number, materialised), so a figure reads only the few the rollup has not reached."""
    numbered = [Posting.id > after, Posting.amount < 0]
    if through is not None:
        numbered.append(Posting.id <= through)
    postings = (
        select(Posting.account_id, Posting.transaction_id, Posting.amount)
        .where(*numbered)
        .cte("postings")
        .prefix_with("MATERIALIZED")
    )
    uses = (
        select(Account.purpose)
        .select_from(postings)
        .join(Account, Account.id == postings.c.account_id)
        .join(Transaction, Transaction.id == postings.c.transaction_id)
        .where(
            Account.owner_type == OwnerType.resident.value,
            Account.purpose.in_(codes),
            Transaction.kind.not_in(NOT_USE),
            Transaction.reverses.is_(None),
            *where,
        )
    )
    return uses, postings.c.amount
