"""The ledger's tables: accounts, transactions, postings, and holds (two-phase transfers).

Postings and transactions are append-only (database triggers refuse UPDATE and DELETE). An account
row caches its posted balance and what its pending holds reserve; the cache only changes in the
transaction that writes the postings, under a lock on the row, and ``toshav ledger check`` rebuilds
and compares it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin

# SQLite only numbers rows by itself for an ``INTEGER PRIMARY KEY``.
SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")


class OwnerType(StrEnum):
    resident = "resident"
    merchant = "merchant"
    campaign = "campaign"
    programme = "programme"
    city = "city"


class Unit(StrEnum):
    ILS = "ILS"  # agorot, as integers
    PARKING_MIN = "PARKING_MIN"  # minutes of parking


class HoldStatus(StrEnum):
    pending = "pending"
    captured = "captured"
    released = "released"
    expired = "expired"


class Account(RecordMixin, Base):
    """Where value sits: owned by a resident, a merchant, a campaign, a programme or the city."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "purpose", "unit"),
        # NULLs are distinct in a unique constraint, so the city's accounts need their own index.
        Index(
            "uq_ledger_accounts_city_purpose_unit",
            "owner_type",
            "purpose",
            "unit",
            unique=True,
            sqlite_where=text("owner_id IS NULL"),
            postgresql_where=text("owner_id IS NULL"),
        ),
    )

    # No foreign key: the ledger does not know what a resident, a merchant or a campaign is.
    owner_type: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    purpose: Mapped[str] = mapped_column(String(50))
    unit: Mapped[str] = mapped_column(String(12))
    allow_negative: Mapped[bool] = mapped_column(default=False)
    # The cache: sum of the postings; sums of the pending holds' outgoing and incoming amounts.
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    held_out: Mapped[int] = mapped_column(BigInteger, default=0)
    held_in: Mapped[int] = mapped_column(BigInteger, default=0)


class Transaction(RecordMixin, Base):
    """One balanced movement: two or more postings that sum to zero per unit. Never changed."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (
        # A transaction is reversed at most once. Partial: nearly no transaction is a reversal.
        Index(
            "uq_ledger_transactions_reverses",
            "reverses",
            unique=True,
            sqlite_where=text("reverses IS NOT NULL"),
            postgresql_where=text("reverses IS NOT NULL"),
        ),
    )

    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    # No index on kind or effective_at: no query looks a transaction up by them, and every
    # index is paid for on every posting.
    kind: Mapped[str] = mapped_column(String(50))
    # What caused it, e.g. ``decision:<uuid>`` or ``purchase:<uuid>``.
    reference: Mapped[str | None] = mapped_column(String(200), index=True)
    effective_at: Mapped[datetime]
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reverses: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transactions.id"))


class Posting(Base):
    """One side of a transaction on one account. Never changed; numbered in the order written."""

    __tablename__ = "ledger_postings"
    __table_args__ = (Index("ix_ledger_postings_account_id_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_transactions.id"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(12))
    # The account's posted balance right after this posting, in the order postings were written.
    balance_after: Mapped[int] = mapped_column(BigInteger)


class Hold(RecordMixin, Base):
    """A pending two-phase transfer: reserved now, later captured, released, or expired."""

    __tablename__ = "ledger_holds"
    __table_args__ = (Index("ix_ledger_holds_status_expires_at", "status", "expires_at"),)

    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(50))
    reference: Mapped[str | None] = mapped_column(String(200), index=True)
    details: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default=HoldStatus.pending.value)
    # When it stopped being pending (for an expiry: the moment it expired).
    resolved_at: Mapped[datetime | None]
    captured_amount: Mapped[int | None] = mapped_column(BigInteger)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_transactions.id"), unique=True
    )


class HoldPosting(Base):
    """One side of a hold on one account. Never changed."""

    __tablename__ = "ledger_hold_postings"

    id: Mapped[int] = mapped_column(SEQUENCE, primary_key=True, autoincrement=True)
    hold_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_holds.id"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(12))
