"""The write path of a batch of standalone transactions: every account of the batch locked and
every key looked up in one statement, every accepted transaction written in one more."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select

from benefits.ledger.models import Posting, Transaction
from benefits.ledger.repository.posting import LockedAccount, PostingRepository, figures_json

_transactions = cast(Table, Transaction.__table__)
_postings = cast(Table, Posting.__table__)

# The keys come back as one JSON object beside every locked row: an uncorrelated subquery, run
# once. It reads the statement's snapshot; a key committed while we waited for a lock is found
# by the insert, which then conflicts and the batch is tried again.
_PG_LOCK_BATCH = """
    SELECT a.id, a.unit, a.allow_negative, a.balance, a.held_out, a.held_in,
           (SELECT json_object_agg(k.idempotency_key, k.id) FROM ledger_transactions k
            WHERE k.idempotency_key = ANY(%(keys)s::text[])) AS existing
    FROM ledger_accounts a WHERE a.id = ANY(%(ids)s::uuid[]) ORDER BY a.id FOR UPDATE OF a
"""
_PG_KEYS = """
    SELECT k.idempotency_key, k.id FROM ledger_transactions k
    WHERE k.idempotency_key = ANY(%(keys)s::text[])
"""
# Every transaction, its postings (numbered in the order the batch applied them, so each
# account's balance_after follows its postings' ids) and the accounts' new figures in one
# statement. A key taken meanwhile makes its row (and its postings) absent: the caller counts
# what was inserted and, when short, rolls the whole batch back.
_PG_RECORD_BATCH = """
    WITH t AS (
        INSERT INTO ledger_transactions (id, created_at, idempotency_key, request_hash, kind,
            reference, effective_at, metadata, created_by)
        SELECT v.id, v.created_at, v.idempotency_key, v.request_hash, v.kind, v.reference,
            v.effective_at, v.metadata, v.created_by
        FROM jsonb_to_recordset(%(transactions)s::jsonb) AS v(id uuid, created_at timestamptz,
            idempotency_key varchar, request_hash varchar, kind varchar, reference varchar,
            effective_at timestamptz, metadata json, created_by uuid)
        ON CONFLICT DO NOTHING RETURNING id
    ), p AS (
        INSERT INTO ledger_postings (transaction_id, account_id, amount, unit, balance_after)
        SELECT v.transaction_id, v.account_id, v.amount, v.unit, v.balance_after
        FROM jsonb_to_recordset(%(postings)s::jsonb) AS v(n integer, transaction_id uuid,
            account_id uuid, amount bigint, unit varchar, balance_after bigint)
        WHERE v.transaction_id IN (SELECT id FROM t)
        ORDER BY v.n
    ), a AS (
        UPDATE ledger_accounts SET balance = v.balance, held_out = v.held_out,
            held_in = v.held_in
        FROM jsonb_to_recordset(%(accounts)s::jsonb)
            AS v(id uuid, balance bigint, held_out bigint, held_in bigint)
        WHERE ledger_accounts.id = v.id
    )
    SELECT count(*) FROM t
"""


class BatchRepository(PostingRepository):
    def lock_batch(
        self, account_ids: Iterable[uuid.UUID], keys: Sequence[str]
    ) -> tuple[dict[uuid.UUID, LockedAccount], dict[str, uuid.UUID]]:
        """Lock the accounts in the one fixed order (by id) and read their figures; and which
        transaction already carries each key, for the keys that are taken."""
        ids = sorted(set(account_ids))
        postgres = self._postgres()
        if postgres is None:
            # SQLite: the transaction holds the database's write lock since it began.
            accounts = self.lock_accounts(ids).accounts
            rows = self.session.connection().execute(
                select(_transactions.c.idempotency_key, _transactions.c.id).where(
                    _transactions.c.idempotency_key.in_(keys)
                )
            )
            return accounts, {key: transaction_id for key, transaction_id in rows}
        parameters = {"ids": "{" + ",".join(str(i) for i in ids) + "}", "keys": list(keys)}
        with postgres.cursor() as cursor:
            locked = cursor.execute(_PG_LOCK_BATCH, parameters).fetchall()
            if locked:
                taken = locked[0][6] or {}
            else:  # no account at all: the keys alone
                taken = dict(cursor.execute(_PG_KEYS, parameters).fetchall())
        accounts = {row[0]: LockedAccount(*row[:6]) for row in locked}
        return accounts, {key: uuid.UUID(str(value)) for key, value in taken.items()}

    def record_batch(
        self,
        transactions: list[dict[str, Any]],
        postings: list[dict[str, Any]],
        accounts: list[LockedAccount],
    ) -> bool:
        """Write the transactions (``postings`` carry their ``transaction_id``, in order) and the
        accounts' new cached figures. False when a key was taken meanwhile (PostgreSQL): part of
        the batch is not written, and the caller must roll it all back."""
        postgres = self._postgres()
        if postgres is None:
            connection = self.session.connection()
            connection.execute(
                insert(_transactions),
                [
                    {**{k: v for k, v in t.items() if k != "details"}, "metadata": t["details"]}
                    for t in transactions
                ],
            )
            connection.execute(insert(_postings), postings)
            self.write_cached(accounts)
            return True
        parameters = {
            "transactions": json.dumps(
                [
                    {
                        "id": str(t["id"]),
                        "created_at": t["created_at"].isoformat(),
                        "idempotency_key": t["idempotency_key"],
                        "request_hash": t["request_hash"],
                        "kind": t["kind"],
                        "reference": t["reference"],
                        "effective_at": t["effective_at"].isoformat(),
                        "metadata": t["details"],
                        "created_by": str(t["created_by"]) if t["created_by"] else None,
                    }
                    for t in transactions
                ]
            ),
            "postings": json.dumps(
                [
                    {
                        "n": n,
                        "transaction_id": str(p["transaction_id"]),
                        "account_id": str(p["account_id"]),
                        "amount": p["amount"],
                        "unit": p["unit"],
                        "balance_after": p["balance_after"],
                    }
                    for n, p in enumerate(postings)
                ]
            ),
            "accounts": figures_json(accounts),
        }
        with postgres.cursor() as cursor:
            row = cursor.execute(_PG_RECORD_BATCH, parameters).fetchone()
        self._keep_loaded_in_step(accounts)
        return row is not None and row[0] == len(transactions)
