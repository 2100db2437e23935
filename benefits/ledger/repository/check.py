"""The queries of ``toshav ledger check``: each rebuilds a figure and returns where it differs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from benefits.ledger.models import Account, Hold, HoldPosting, HoldStatus, Posting, Transaction


@dataclass(frozen=True)
class Violation:
    """One place where the ledger disagrees with itself: what, where, and the figures."""

    code: str
    subject: str
    figures: dict[str, int | str]


class LedgerCheckRepository:
    """The queries of ``toshav ledger check``: each rebuilds a figure and returns where it differs."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def counts(self) -> dict[str, int]:
        def count(model: type[Any]) -> int:
            return int(self.session.scalar(select(func.count()).select_from(model)) or 0)

        return {
            "accounts": count(Account),
            "transactions": count(Transaction),
            "postings": count(Posting),
            "holds": count(Hold),
        }

    def violations(self) -> Iterator[Violation]:
        """Every kind of violation, cheapest first; each query stops at its first example."""
        for check in (
            self._too_few_postings,
            self._unbalanced_transactions,
            self._unit_mismatches,
            self._balance_cache,
            self._negative_balances,
            self._running_balances,
            self._unbalanced_holds,
            self._hold_cache,
        ):
            found = check()
            if found is not None:
                yield found

    def _too_few_postings(self) -> Violation | None:
        row = self.session.execute(
            select(Transaction.id, func.count(Posting.id))
            .outerjoin(Posting, Posting.transaction_id == Transaction.id)
            .group_by(Transaction.id)
            .having(func.count(Posting.id) < 2)
            .limit(1)
        ).first()
        if row is None:
            return None
        return Violation("too_few_postings", f"transaction {row[0]}", {"postings": int(row[1])})

    def _unbalanced_transactions(self) -> Violation | None:
        row = self.session.execute(
            select(Posting.transaction_id, Posting.unit, func.sum(Posting.amount))
            .group_by(Posting.transaction_id, Posting.unit)
            .having(func.sum(Posting.amount) != 0)
            .limit(1)
        ).first()
        if row is None:
            return None
        return Violation(
            "unbalanced_transaction",
            f"transaction {row[0]}",
            {"unit": row[1], "sum": int(row[2])},
        )

    def _unit_mismatches(self) -> Violation | None:
        row = self.session.execute(
            select(Posting.id, Posting.unit, Account.id, Account.unit)
            .join(Account, Account.id == Posting.account_id)
            .where(Posting.unit != Account.unit)
            .limit(1)
        ).first()
        if row is None:
            return None
        return Violation(
            "unit_mismatch",
            f"posting {row[0]} on account {row[2]}",
            {"posting_unit": row[1], "account_unit": row[3]},
        )

    def _posted_sums(self) -> Any:
        return (
            select(Posting.account_id, func.sum(Posting.amount).label("total"))
            .group_by(Posting.account_id)
            .subquery()
        )

    def _balance_cache(self) -> Violation | None:
        sums = self._posted_sums()
        total = func.coalesce(sums.c.total, 0)
        row = self.session.execute(
            select(Account.id, Account.balance, total)
            .outerjoin(sums, sums.c.account_id == Account.id)
            .where(Account.balance != total)
            .limit(1)
        ).first()
        if row is None:
            return None
        return Violation(
            "balance_cache_mismatch",
            f"account {row[0]}",
            {"cached": int(row[1]), "postings": int(row[2])},
        )

    def _negative_balances(self) -> Violation | None:
        sums = self._posted_sums()
        row = self.session.execute(
            select(Account.id, sums.c.total)
            .join(sums, sums.c.account_id == Account.id)
            .where(Account.allow_negative.is_(False), sums.c.total < 0)
            .limit(1)
        ).first()
        if row is None:
            return None
        return Violation("negative_balance", f"account {row[0]}", {"balance": int(row[1])})

    def _running_balances(self) -> Violation | None:
        running = select(
            Posting.id,
            Posting.account_id,
            Posting.balance_after,
            func.sum(Posting.amount)
            .over(partition_by=Posting.account_id, order_by=Posting.id)
            .label("running"),
        ).subquery()
        row = self.session.execute(
            select(running.c.id, running.c.account_id, running.c.balance_after, running.c.running)
            .where(running.c.balance_after != running.c.running)
            .limit(1)
        ).first()
        if row is None:
            return None
        return Violation(
            "running_balance_mismatch",
            f"posting {row[0]} on account {row[1]}",
            {"recorded": int(row[2]), "postings": int(row[3])},
        )

    def _unbalanced_holds(self) -> Violation | None:
        row = self.session.execute(
            select(HoldPosting.hold_id, HoldPosting.unit, func.sum(HoldPosting.amount))
            .group_by(HoldPosting.hold_id, HoldPosting.unit)
            .having(func.sum(HoldPosting.amount) != 0)
            .limit(1)
        ).first()
        if row is None:
            return None
        return Violation("unbalanced_hold", f"hold {row[0]}", {"unit": row[1], "sum": int(row[2])})

    def _hold_cache(self) -> Violation | None:
        pending = (
            select(
                HoldPosting.account_id,
                func.sum(case((HoldPosting.amount < 0, -HoldPosting.amount), else_=0)).label(
                    "held_out"
                ),
                func.sum(case((HoldPosting.amount > 0, HoldPosting.amount), else_=0)).label(
                    "held_in"
                ),
            )
            .join(Hold, Hold.id == HoldPosting.hold_id)
            .where(Hold.status == HoldStatus.pending.value)
            .group_by(HoldPosting.account_id)
            .subquery()
        )
        held_out = func.coalesce(pending.c.held_out, 0)
        held_in = func.coalesce(pending.c.held_in, 0)
        row = self.session.execute(
            select(Account.id, Account.held_out, held_out, Account.held_in, held_in)
            .outerjoin(pending, pending.c.account_id == Account.id)
            .where(or_(Account.held_out != held_out, Account.held_in != held_in))
            .limit(1)
        ).first()
        if row is None:
            return None
        return Violation(
            "hold_cache_mismatch",
            f"account {row[0]}",
            {
                "cached_out": int(row[1]),
                "holds_out": int(row[2]),
                "cached_in": int(row[3]),
                "holds_in": int(row[4]),
            },
        )
