"""Every query of the ledger."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from benefits.ledger.models import (
    Account,
    Hold,
    HoldPosting,
    HoldStatus,
    Posting,
    Transaction,
)


@dataclass(frozen=True)
class Violation:
    """One place where the ledger disagrees with itself: what, where, and the figures."""

    code: str
    subject: str
    figures: dict[str, int | str]


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _insert(self) -> Any:
        """INSERT with ``ON CONFLICT DO NOTHING`` in this database's dialect."""
        if self.session.get_bind().dialect.name == "postgresql":
            return postgresql.insert
        return sqlite.insert

    # Accounts

    def account(self, account_id: uuid.UUID, *, fresh: bool = False) -> Account | None:
        return self.session.get(Account, account_id, populate_existing=fresh)

    def account_by_owner(
        self, owner_type: str, owner_id: uuid.UUID | None, purpose: str, unit: str
    ) -> Account | None:
        owner = Account.owner_id.is_(None) if owner_id is None else Account.owner_id == owner_id
        return self.session.scalar(
            select(Account).where(
                Account.owner_type == owner_type,
                owner,
                Account.purpose == purpose,
                Account.unit == unit,
            )
        )

    def insert_account_if_absent(self, values: dict[str, Any]) -> Account | None:
        """The new account, or None when one with the same owner, purpose and unit exists."""
        statement = (
            self._insert()(Account).values(**values).on_conflict_do_nothing().returning(Account)
        )
        account: Account | None = self.session.scalar(statement)
        return account

    def lock_accounts(self, account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Account]:
        """Lock the accounts in one fixed order (by id), so two writers never wait on each other
        in a circle, and read their newest cached balances."""
        ids = sorted(set(account_ids))
        accounts = self.session.scalars(
            select(Account)
            .where(Account.id.in_(ids))
            .order_by(Account.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
        return {account.id: account for account in accounts}

    def accounts_of_owner(self, owner_type: str, owner_id: uuid.UUID | None) -> Sequence[Account]:
        owner = Account.owner_id.is_(None) if owner_id is None else Account.owner_id == owner_id
        return self.session.scalars(
            select(Account)
            .where(Account.owner_type == owner_type, owner)
            .order_by(Account.purpose, Account.unit, Account.id)
        ).all()

    # Transactions and postings

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

    def insert_transaction_if_absent(self, values: dict[str, Any]) -> Transaction | None:
        """The new transaction, or None when its key (or the transaction it reverses) is taken."""
        statement = (
            self._insert()(Transaction)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(Transaction)
        )
        transaction: Transaction | None = self.session.scalar(statement)
        return transaction

    def add_postings(self, rows: list[dict[str, Any]]) -> None:
        self.session.execute(insert(Posting), rows)

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

    # Holds

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
        statement = self._insert()(Hold).values(**values).on_conflict_do_nothing().returning(Hold)
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
            select(
                func.coalesce(
                    func.sum(case((HoldPosting.amount < 0, -HoldPosting.amount), else_=0)), 0
                ),
                func.coalesce(
                    func.sum(case((HoldPosting.amount > 0, HoldPosting.amount), else_=0)), 0
                ),
            )
            .join(Hold, Hold.id == HoldPosting.hold_id)
            .where(HoldPosting.account_id == account_id, pending_at)
        ).one()
        return int(row[0]), int(row[1])


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
