"""Builders for ledger tests: accounts of a resident or of the city, and money or minutes in them."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from benefits.ledger.models import Account, OwnerType, Transaction, Unit
from benefits.ledger.service.accounts import get_or_create_account
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction

_keys = itertools.count()


def new_key(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}-{next(_keys)}"


def resident_account(
    session: Session,
    *,
    owner_id: uuid.UUID | None = None,
    purpose: str = "parking_allowance",
    unit: Unit = Unit.PARKING_MIN,
) -> Account:
    return get_or_create_account(
        session,
        owner_type=OwnerType.resident,
        owner_id=owner_id or uuid.uuid4(),
        purpose=purpose,
        unit=unit,
    )


def city_account(
    session: Session, *, purpose: str = "issuance", unit: Unit = Unit.PARKING_MIN
) -> Account:
    return get_or_create_account(
        session,
        owner_type=OwnerType.city,
        owner_id=None,
        purpose=purpose,
        unit=unit,
        allow_negative=True,
    )


def fund(
    session: Session,
    account: Account,
    amount: int,
    *,
    now: datetime,
    effective_at: datetime | None = None,
) -> Transaction:
    """Give an account ``amount`` from the city's issuance account of its unit."""
    source = city_account(session, unit=Unit(account.unit))
    return post_transaction(
        session,
        idempotency_key=new_key("fund"),
        kind="grant",
        postings=[PostingInput(source.id, -amount), PostingInput(account.id, amount)],
        reference=f"decision:{uuid.uuid4()}",
        effective_at=effective_at,
        now=now,
    )
