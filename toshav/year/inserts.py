"""Rows waiting to be written in bulk, table by table in the order the foreign keys need.

Each batch is one ``INSERT`` executed for many rows (SQLAlchemy Core ``executemany``) inside the
command's transaction; every row carries every column, as the services would write it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from benefits.eligibility.models import AllowanceGrant, Decision
from benefits.ledger.models import Account, Hold, HoldPosting, Posting, Transaction
from cashback.models import Flag, Merchant, MerchantStaff, Purchase, Redemption, Refund, Wallet
from parking.models import Inspection, ParkingPass, ParkingSession, Permit, Vehicle
from resident_card.accounts.models import User
from resident_card.cards.models import Card
from resident_card.residents.models import Guardianship, Household, Resident, StatusChange

Row = dict[str, Any]

# Parents before children; a table's rows are written in the order they were added.
ORDER: tuple[type[Any], ...] = (
    User,
    Household,
    Resident,
    StatusChange,
    Guardianship,
    Card,
    Merchant,
    MerchantStaff,
    Account,
    Wallet,
    Decision,
    Transaction,
    Posting,
    Hold,
    HoldPosting,
    AllowanceGrant,
    Purchase,
    Refund,
    Redemption,
    Flag,
    Vehicle,
    Permit,
    ParkingPass,
    ParkingSession,
    Inspection,
)
TABLES: dict[type[Any], Table] = {model: cast(Table, model.__table__) for model in ORDER}
BATCH = 5_000


class Inserts:
    """Rows to write, kept by table until a batch is full, then written parents first."""

    def __init__(self, session: Session, *, on_write: Callable[[int], None] | None = None) -> None:
        self.session = session
        self.waiting: dict[type[Any], list[Row]] = {model: [] for model in ORDER}
        self.written: dict[str, int] = {}
        self.on_write = on_write
        self._count = 0

    def add(self, model: type[Any], row: Row) -> None:
        self.waiting[model].append(row)
        self._count += 1
        if self._count >= BATCH * 4:
            self.flush()

    def flush(self) -> None:
        """Write every waiting row, parents first."""
        for model in ORDER:
            rows = self.waiting[model]
            if not rows:
                continue
            table = TABLES[model]
            for start in range(0, len(rows), BATCH):
                self.session.execute(insert(table), rows[start : start + BATCH])
            self.written[table.name] = self.written.get(table.name, 0) + len(rows)
            if self.on_write is not None:
                self.on_write(len(rows))
            self.waiting[model] = []
        self._count = 0
