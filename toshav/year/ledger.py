"""The year's ledger writes, made in bulk as the ledger's own write path makes them one by one.

Every account's figures are followed in memory (posted balance, what pending holds reserve), so
each posting carries its running ``balance_after`` and nothing that may not go negative does;
the accounts' cached figures are written once at the end. Idempotency keys, request hashes,
kinds and references are the services' own, so ``toshav ledger check`` finds nothing to say.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from benefits.ledger.models import Account, Hold, HoldPosting, HoldStatus, Posting, Transaction
from benefits.ledger.service.posting import PostingInput, fingerprint
from toshav.year.inserts import Inserts

NewId = Callable[[], uuid.UUID]


@dataclass
class Figures:
    """One account as the year sees it."""

    id: uuid.UUID
    unit: str
    allow_negative: bool
    balance: int = 0
    held_out: int = 0
    held_in: int = 0

    @property
    def available(self) -> int:
        return self.balance - self.held_out


@dataclass
class HeldTransfer:
    """A hold made by the year, written once its fate is known (captured, released, or pending)."""

    row: dict[str, Any]
    postings: list[tuple[uuid.UUID, int]] = field(default_factory=list)

    @property
    def id(self) -> uuid.UUID:
        return cast(uuid.UUID, self.row["id"])


class YearLedger:
    """Accounts, transactions, postings and holds of the year, written through ``Inserts``."""

    def __init__(self, inserts: Inserts, new_id: NewId) -> None:
        self.inserts = inserts
        self.new_id = new_id
        self.accounts: dict[uuid.UUID, Figures] = {}
        self.touched: set[uuid.UUID] = set()

    # --- accounts ------------------------------------------------------------------------------

    def adopt(self, session: Session, account_ids: Iterable[uuid.UUID]) -> None:
        """Follow accounts that already exist (the demo's, those the services just made)."""
        ids = [i for i in account_ids if i not in self.accounts]
        if not ids:
            return
        for account in session.scalars(select(Account).where(Account.id.in_(ids))):
            self.accounts[account.id] = Figures(
                account.id,
                account.unit,
                account.allow_negative,
                account.balance,
                account.held_out,
                account.held_in,
            )

    def open_account(
        self,
        *,
        owner_type: str,
        owner_id: uuid.UUID | None,
        purpose: str,
        unit: str,
        allow_negative: bool = False,
        at: datetime,
    ) -> uuid.UUID:
        """A new account, as ``get_or_create_account`` makes it."""
        account_id = self.new_id()
        self.inserts.add(
            Account,
            {
                "id": account_id,
                "created_at": at,
                "owner_type": owner_type,
                "owner_id": owner_id,
                "purpose": purpose,
                "unit": unit,
                "allow_negative": allow_negative,
                "balance": 0,
                "held_out": 0,
                "held_in": 0,
            },
        )
        self.accounts[account_id] = Figures(account_id, unit, allow_negative)
        return account_id

    def available(self, account_id: uuid.UUID) -> int:
        return self.accounts[account_id].available

    def balance(self, account_id: uuid.UUID) -> int:
        return self.accounts[account_id].balance

    # --- transactions --------------------------------------------------------------------------

    def post(
        self,
        *,
        key: str,
        kind: str,
        postings: Sequence[tuple[uuid.UUID, int]],
        reference: str | None,
        at: datetime,
        metadata: dict[str, Any] | None = None,
        effective_at: datetime | None = None,
        created_by: uuid.UUID | None = None,
        reservations: Sequence[tuple[uuid.UUID, int]] = (),
    ) -> uuid.UUID:
        """A balanced transaction and its postings; ``reservations`` are held amounts it frees
        (a captured hold's)."""
        details = metadata or {}
        if sum(amount for _, amount in postings) != 0:
            raise ValueError(f"unbalanced transaction {key}")
        for account_id, amount in reservations:
            figures = self.accounts[account_id]
            if amount < 0:
                figures.held_out -= -amount
            else:
                figures.held_in -= amount
        for account_id, amount in postings:
            figures = self.accounts[account_id]
            if not figures.allow_negative and figures.available + amount < 0:
                raise ValueError(f"{key} would take account {account_id} below zero")
        transaction_id = self.new_id()
        inputs = [PostingInput(account_id, amount) for account_id, amount in postings]
        self.inserts.add(
            Transaction,
            {
                "id": transaction_id,
                "created_at": at,
                "idempotency_key": key,
                "request_hash": fingerprint(
                    kind=kind,
                    postings=inputs,
                    reference=reference,
                    metadata=details,
                    effective_at=effective_at,
                ),
                "kind": kind,
                "reference": reference,
                "effective_at": effective_at or at,
                "details": details,
                "created_by": created_by,
                "reverses": None,
            },
        )
        for account_id, amount in postings:
            figures = self.accounts[account_id]
            figures.balance += amount
            self.touched.add(account_id)
            self.inserts.add(
                Posting,
                {
                    "transaction_id": transaction_id,
                    "account_id": account_id,
                    "amount": amount,
                    "unit": figures.unit,
                    "balance_after": figures.balance,
                },
            )
        return transaction_id

    # --- holds ---------------------------------------------------------------------------------

    def hold(
        self,
        *,
        key: str,
        kind: str,
        postings: Sequence[tuple[uuid.UUID, int]],
        expires_at: datetime,
        reference: str | None,
        metadata: dict[str, Any],
        created_by: uuid.UUID | None,
        at: datetime,
    ) -> HeldTransfer | None:
        """Reserve a transfer (None: the paying side has not enough available)."""
        for account_id, amount in postings:
            figures = self.accounts[account_id]
            if amount < 0 and not figures.allow_negative and figures.available + amount < 0:
                return None
        for account_id, amount in postings:
            figures = self.accounts[account_id]
            if amount < 0:
                figures.held_out += -amount
            else:
                figures.held_in += amount
            self.touched.add(account_id)
        inputs = [PostingInput(account_id, amount) for account_id, amount in postings]
        row = {
            "id": self.new_id(),
            "created_at": at,
            "idempotency_key": key,
            "request_hash": fingerprint(
                kind=kind,
                postings=inputs,
                reference=reference,
                metadata=metadata,
                effective_at=None,
                extra={"expires_at": expires_at.isoformat()},
            ),
            "kind": kind,
            "reference": reference,
            "details": metadata,
            "created_by": created_by,
            "expires_at": expires_at,
            "status": HoldStatus.pending.value,
            "resolved_at": None,
            "captured_amount": None,
            "transaction_id": None,
        }
        return HeldTransfer(row, list(postings))

    def capture(self, hold: HeldTransfer, *, at: datetime) -> uuid.UUID:
        """Post a pending hold in full, as ``capture_hold`` does, and write it."""
        transaction_id = self.post(
            key=f"hold:{hold.id}:capture",
            kind=hold.row["kind"],
            postings=hold.postings,
            reference=hold.row["reference"],
            metadata={**hold.row["details"], "hold_id": str(hold.id)},
            created_by=hold.row["created_by"],
            at=at,
            reservations=hold.postings,
        )
        hold.row.update(
            status=HoldStatus.captured.value,
            resolved_at=at,
            captured_amount=sum(amount for _, amount in hold.postings if amount > 0),
            transaction_id=transaction_id,
        )
        self.write_hold(hold)
        return transaction_id

    def release(self, hold: HeldTransfer, *, at: datetime) -> None:
        """Void a pending hold, as ``release_hold`` does, and write it."""
        for account_id, amount in hold.postings:
            figures = self.accounts[account_id]
            if amount < 0:
                figures.held_out -= -amount
            else:
                figures.held_in -= amount
        hold.row.update(status=HoldStatus.released.value, resolved_at=at)
        self.write_hold(hold)

    def write_hold(self, hold: HeldTransfer) -> None:
        """Write a hold as it stands (a pending one at the end of the year)."""
        self.inserts.add(Hold, hold.row)
        for account_id, amount in hold.postings:
            self.inserts.add(
                HoldPosting,
                {
                    "hold_id": hold.id,
                    "account_id": account_id,
                    "amount": amount,
                    "unit": self.accounts[account_id].unit,
                },
            )

    # --- the end -------------------------------------------------------------------------------

    def write_figures(self, session: Session) -> int:
        """Write the cached figures of every account the year changed (after the rows), and
        forget every account: the services may post to them next, so a later stage adopts the
        accounts it uses afresh."""
        table = cast(Table, Account.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("account_id"))
            .values(
                balance=bindparam("new_balance"),
                held_out=bindparam("new_held_out"),
                held_in=bindparam("new_held_in"),
            )
        )
        rows = [
            {
                "account_id": f.id,
                "new_balance": f.balance,
                "new_held_out": f.held_out,
                "new_held_in": f.held_in,
            }
            for f in (self.accounts[i] for i in sorted(self.touched))
        ]
        for start in range(0, len(rows), 5_000):
            session.execute(statement, rows[start : start + 5_000])
        self.accounts.clear()
        self.touched.clear()
        return len(rows)
