"""The write path: lock accounts in one fixed order, record a transaction with its postings, and
write the accounts' new cached figures. Posting is the hot path of every benefit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from psycopg.types.json import Json
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from benefits.ledger.models import Account, Hold, Posting, Transaction
from benefits.ledger.repository.base import RepositoryBase
from kernel.kit.inserts import insert_if_absent


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
# A hold, its postings and its accounts' new reservations in one statement, likewise.
_PG_RECORD_HOLD = """
    WITH h AS (
        INSERT INTO ledger_holds (id, created_at, idempotency_key, request_hash, kind, reference,
            metadata, created_by, expires_at, status)
        VALUES (%(id)s, %(created_at)s, %(idempotency_key)s, %(request_hash)s, %(kind)s,
            %(reference)s, %(metadata)s, %(created_by)s, %(expires_at)s, %(status)s)
        ON CONFLICT DO NOTHING RETURNING id
    ), p AS (
        INSERT INTO ledger_hold_postings (hold_id, account_id, amount, unit)
        SELECT h.id, v.account_id, v.amount, v.unit
        FROM h, jsonb_to_recordset(%(postings)s::jsonb)
            AS v(account_id uuid, amount bigint, unit varchar)
    ), a AS (
        UPDATE ledger_accounts SET balance = v.balance, held_out = v.held_out,
            held_in = v.held_in
        FROM h, jsonb_to_recordset(%(accounts)s::jsonb)
            AS v(id uuid, balance bigint, held_out bigint, held_in bigint)
        WHERE ledger_accounts.id = v.id
    )
    SELECT id FROM h
"""
_PG_WRITE_CACHE = """
    UPDATE ledger_accounts SET balance = %(new_balance)s, held_out = %(new_held_out)s,
        held_in = %(new_held_in)s WHERE id = %(account_id)s
"""


class PostingRepository(RepositoryBase):
    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._driver: Any | None = None

    def _postgres(self) -> Any | None:
        """The psycopg connection under this session's transaction, on PostgreSQL."""
        if self._driver is None:
            connection = self.session.connection()
            if connection.dialect.name != "postgresql":
                return None
            self._driver = connection.connection.driver_connection
        return self._driver

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
        if not self.session.identity_map:  # nothing loaded, nothing to keep in step
            return
        for account in accounts:
            loaded = self.session.identity_map.get(self.session.identity_key(Account, account.id))
            if loaded is not None:
                set_committed_value(loaded, "balance", account.balance)
                set_committed_value(loaded, "held_out", account.held_out)
                set_committed_value(loaded, "held_in", account.held_in)

    def record_hold(
        self,
        values: dict[str, Any],
        postings: list[dict[str, Any]],
        accounts: list[LockedAccount],
    ) -> Hold | None:
        """On PostgreSQL, write a hold, its postings and the accounts' new cached figures in one
        statement; None, with nothing written, when its key is taken. Elsewhere: None at once
        (the caller writes them one by one)."""
        postgres = self._postgres()
        if postgres is None:
            raise RuntimeError("one-statement holds are written on PostgreSQL only")
        parameters = {
            **{k: v for k, v in values.items() if k != "details"},
            "metadata": Json(values["details"]),
            "postings": json.dumps(
                [
                    {"account_id": str(p["account_id"]), "amount": p["amount"], "unit": p["unit"]}
                    for p in postings
                ]
            ),
            "accounts": figures_json(accounts),
        }
        with postgres.cursor() as cursor:
            inserted = cursor.execute(_PG_RECORD_HOLD, parameters).fetchone()
        if inserted is None:
            return None
        self._keep_loaded_in_step(accounts)
        hold = Hold(**values, resolved_at=None, captured_amount=None, transaction_id=None)
        make_transient_to_detached(hold)
        self.session.add(hold)
        return hold

    @property
    def writes_in_one_statement(self) -> bool:
        """Whether a hold is written in one statement here (PostgreSQL)."""
        return self._postgres() is not None

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
                "accounts": figures_json(accounts),
            }
            with postgres.cursor() as cursor:
                inserted = cursor.execute(_PG_RECORD_TRANSACTION, parameters).fetchone()
            if inserted is None:
                return None
            self._keep_loaded_in_step(accounts)
        else:
            connection = self.session.connection()
            statement = insert_if_absent(self.session, _transactions).returning(_transactions.c.id)
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


def figures_json(accounts: list[LockedAccount]) -> str:
    """The accounts' new cached figures as one JSON document."""
    return json.dumps(
        [
            {"id": str(a.id), "balance": a.balance, "held_out": a.held_out, "held_in": a.held_in}
            for a in accounts
        ]
    )
