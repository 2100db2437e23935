"""Every query of the ledger."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from psycopg.types.json import Json
from sqlalchemy import Row, Table, and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

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


@dataclass
class LockedAccount:
    """An account row read under its lock: the figures a write checks and changes."""

    id: uuid.UUID
    unit: str
    allow_negative: bool
    balance: int
    held_out: int
    held_in: int


@dataclass
class Locked:
    """The locked accounts, and what already carries the request's idempotency key, if anything."""

    accounts: dict[uuid.UUID, LockedAccount]
    existing_id: uuid.UUID | None


# The write path runs these prepared Core statements: posting is the hot path of every benefit.
_accounts = cast(Table, Account.__table__)
_transactions = cast(Table, Transaction.__table__)
_holds = cast(Table, Hold.__table__)


def _lock_statement(keyed: Any) -> Any:
    """Lock accounts by id in one fixed order and, in the same round trip, look up a key."""
    existing = (
        select(keyed.c.id).where(keyed.c.idempotency_key == bindparam("key")).scalar_subquery()
    )
    return (
        select(
            _accounts.c.id,
            _accounts.c.unit,
            _accounts.c.allow_negative,
            _accounts.c.balance,
            _accounts.c.held_out,
            _accounts.c.held_in,
            existing.label("existing_id"),
        )
        .where(_accounts.c.id.in_(bindparam("ids", expanding=True)))
        .order_by(_accounts.c.id)
        .with_for_update(of=_accounts)
    )


_LOCK_FOR_TRANSACTION = _lock_statement(_transactions)
_LOCK_FOR_HOLD = _lock_statement(_holds)
_WRITE_CACHE = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account_id"))
    .values(
        balance=bindparam("new_balance"),
        held_out=bindparam("new_held_out"),
        held_in=bindparam("new_held_in"),
    )
)
_ADD_POSTINGS = insert(cast(Table, Posting.__table__))

# On PostgreSQL the write path's statements go straight to psycopg on the session's own connection
# (same transaction): SQLAlchemy's work per statement costs more CPU than the database's does, and
# the client's CPU is what limits how many transactions a second a deployment posts.
_PG_LOCK = """
    SELECT a.id, a.unit, a.allow_negative, a.balance, a.held_out, a.held_in,
           (SELECT k.id FROM {keyed} k WHERE k.idempotency_key = %(key)s) AS existing_id
    FROM ledger_accounts a WHERE a.id = ANY(%(ids)s::uuid[]) ORDER BY a.id FOR UPDATE OF a
"""
_PG_LOCK_FOR_TRANSACTION = _PG_LOCK.format(keyed="ledger_transactions")
_PG_LOCK_FOR_HOLD = _PG_LOCK.format(keyed="ledger_holds")
# A transaction, its postings and its accounts' new figures in one statement; when the key is
# taken (a concurrent twin committed first), the insert returns nothing and nothing is written.
_PG_RECORD_TRANSACTION = """
    WITH t AS (
        INSERT INTO ledger_transactions (id, created_at, idempotency_key, request_hash, kind,
            reference, effective_at, metadata, created_by, reverses)
        VALUES (%(id)s, %(created_at)s, %(idempotency_key)s, %(request_hash)s, %(kind)s,
            %(reference)s, %(effective_at)s, %(metadata)s, %(created_by)s, %(reverses)s)
        ON CONFLICT DO NOTHING RETURNING id
    ), p AS (
        INSERT INTO ledger_postings (transaction_id, account_id, amount, unit, balance_after)
        SELECT t.id, v.account_id, v.amount, v.unit, v.balance_after
        FROM t, jsonb_to_recordset(%(postings)s::jsonb)
            AS v(account_id uuid, amount bigint, unit varchar, balance_after bigint)
    ), a AS (
        UPDATE ledger_accounts SET balance = v.balance, held_out = v.held_out,
            held_in = v.held_in
        FROM t, jsonb_to_recordset(%(accounts)s::jsonb)
            AS v(id uuid, balance bigint, held_out bigint, held_in bigint)
        WHERE ledger_accounts.id = v.id
    )
    SELECT id FROM t
"""
_PG_WRITE_CACHE = """
    UPDATE ledger_accounts SET balance = %(new_balance)s, held_out = %(new_held_out)s,
        held_in = %(new_held_in)s WHERE id = %(account_id)s
"""


# What holds reserve from an account (its outgoing side) and bring to it (its incoming side).
_RESERVED = func.coalesce(func.sum(case((HoldPosting.amount < 0, -HoldPosting.amount), else_=0)), 0)
_INCOMING = func.coalesce(func.sum(case((HoldPosting.amount > 0, HoldPosting.amount), else_=0)), 0)


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._driver: Any | None = None

    def _postgres(self) -> Any | None:
        """The psycopg connection under this session's transaction, on PostgreSQL."""
        if self._driver is None:
            connection = self.session.connection()
            if connection.dialect.name != "postgresql":
                return None
            self._driver = connection.connection.driver_connection
        return self._driver

    def _insert(self) -> Any:
        """INSERT with ``ON CONFLICT DO NOTHING`` in this database's dialect."""
        if self.session.get_bind().dialect.name == "postgresql":
            return postgresql.insert
        return sqlite.insert

    # Accounts

    def account(self, account_id: uuid.UUID, *, fresh: bool = False) -> Account | None:
        return self.session.get(Account, account_id, populate_existing=fresh)

    def accounts(self, account_ids: Iterable[uuid.UUID]) -> Sequence[Account]:
        """These accounts, read afresh, in one statement."""
        wanted = sorted(set(account_ids))
        if not wanted:
            return []
        return self.session.scalars(
            select(Account).where(Account.id.in_(wanted)).execution_options(populate_existing=True)
        ).all()

    def accounts_by_owners(
        self, owner_type: str, owner_ids: Iterable[uuid.UUID], purpose: str, unit: str
    ) -> Sequence[Account]:
        """The accounts for this purpose and unit of those of these owners who have one, read
        afresh, in one statement."""
        wanted = sorted(set(owner_ids))
        if not wanted:
            return []
        return self.session.scalars(
            select(Account)
            .where(
                Account.owner_type == owner_type,
                Account.owner_id.in_(wanted),
                Account.purpose == purpose,
                Account.unit == unit,
            )
            .execution_options(populate_existing=True)
        ).all()

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

    def lock_accounts(
        self,
        account_ids: Iterable[uuid.UUID],
        *,
        key: str | None = None,
        keyed: type[Transaction] | type[Hold] = Transaction,
    ) -> Locked:
        """Lock the accounts in one fixed order (by id), so two writers never wait on each other
        in a circle, and read their newest figures; also say which row already has ``key``.

        The key is read in the statement's snapshot: a writer that committed it while we waited
        for a lock is found by the insert that follows, which conflicts.
        """
        self.session.flush()
        parameters = {"ids": sorted(set(account_ids)), "key": key or ""}
        postgres = self._postgres()
        rows: Sequence[Any]
        if postgres is not None:
            statement = _PG_LOCK_FOR_HOLD if keyed is Hold else _PG_LOCK_FOR_TRANSACTION
            # The ids as an array literal: cheaper to send than an array of UUIDs.
            parameters["ids"] = "{" + ",".join(str(i) for i in parameters["ids"]) + "}"
            with postgres.cursor() as cursor:
                rows = cursor.execute(statement, parameters).fetchall()
        else:
            statement = _LOCK_FOR_HOLD if keyed is Hold else _LOCK_FOR_TRANSACTION
            rows = self.session.connection().execute(statement, parameters).all()
        accounts = {row[0]: LockedAccount(*row[:6]) for row in rows}
        existing_id = rows[0][6] if rows and key else None
        return Locked(accounts, existing_id)

    def write_cached(self, accounts: list[LockedAccount]) -> None:
        """Store the locked accounts' new figures, and keep any loaded Account in step."""
        if not accounts:
            return
        rows = [
            {
                "account_id": account.id,
                "new_balance": account.balance,
                "new_held_out": account.held_out,
                "new_held_in": account.held_in,
            }
            for account in accounts
        ]
        postgres = self._postgres()
        if postgres is not None:
            with postgres.cursor() as cursor:
                cursor.executemany(_PG_WRITE_CACHE, rows)
        else:
            self.session.connection().execute(_WRITE_CACHE, rows)
        self._keep_loaded_in_step(accounts)

    def _keep_loaded_in_step(self, accounts: list[LockedAccount]) -> None:
        for account in accounts:
            loaded = self.session.identity_map.get(self.session.identity_key(Account, account.id))
            if loaded is not None:
                set_committed_value(loaded, "balance", account.balance)
                set_committed_value(loaded, "held_out", account.held_out)
                set_committed_value(loaded, "held_in", account.held_in)

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

    def record_transaction(
        self,
        values: dict[str, Any],
        postings: list[dict[str, Any]],
        accounts: list[LockedAccount],
    ) -> Transaction | None:
        """Write a transaction, its postings (in order) and the accounts' new cached figures;
        None, with nothing written, when its key (or the transaction it reverses) is taken."""
        columns = {**values, "metadata": values["details"]}
        del columns["details"]
        postgres = self._postgres()
        if postgres is not None:
            # Rows travel as one JSON document each: far cheaper to send than eight arrays.
            parameters = {
                **columns,
                "metadata": Json(columns["metadata"]),
                "postings": json.dumps(
                    [
                        {
                            "account_id": str(p["account_id"]),
                            "amount": p["amount"],
                            "unit": p["unit"],
                            "balance_after": p["balance_after"],
                        }
                        for p in postings
                    ]
                ),
                "accounts": json.dumps(
                    [
                        {
                            "id": str(a.id),
                            "balance": a.balance,
                            "held_out": a.held_out,
                            "held_in": a.held_in,
                        }
                        for a in accounts
                    ]
                ),
            }
            with postgres.cursor() as cursor:
                inserted = cursor.execute(_PG_RECORD_TRANSACTION, parameters).fetchone()
            if inserted is None:
                return None
            self._keep_loaded_in_step(accounts)
        else:
            connection = self.session.connection()
            statement = (
                self._insert()(_transactions).on_conflict_do_nothing().returning(_transactions.c.id)
            )
            if connection.execute(statement, columns).first() is None:
                return None
            connection.execute(
                _ADD_POSTINGS, [{"transaction_id": values["id"], **p} for p in postings]
            )
            self.write_cached(accounts)
        # The row is exactly what we sent: keep it as a loaded object without reading it back.
        transaction = Transaction(**values)
        make_transient_to_detached(transaction)
        self.session.add(transaction)
        return transaction

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
