"""What the ledger API takes and gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from benefits.ledger.models import Unit
from benefits.ledger.service.balances import Balance, StatementPage
from benefits.ledger.service.posting import MAX_AMOUNT, MAX_KEY_LENGTH
from kernel.kit.integers import WholeNumber


class BalanceOut(BaseModel):
    unit: Unit
    available: int = Field(description="What can be spent now.")
    pending: int = Field(description="Held for this account, not yet captured.")
    reserved: int = Field(description="Held from this account by pending holds.")
    posted: int = Field(description="The sum of the account's postings.")

    @classmethod
    def of(cls, balance: Balance) -> BalanceOut:
        return cls(
            unit=Unit(balance.unit),
            available=balance.available,
            pending=balance.pending,
            reserved=balance.reserved,
            posted=balance.posted,
        )


class ResidentAccountOut(BaseModel):
    id: uuid.UUID
    purpose: str
    unit: Unit
    balance: BalanceOut


class AccountOut(BaseModel):
    id: uuid.UUID
    owner_type: str
    owner_id: uuid.UUID | None
    purpose: str
    unit: Unit
    allow_negative: bool
    created_at: datetime
    balance: BalanceOut


class StatementEntryOut(BaseModel):
    posting_id: int
    transaction_id: uuid.UUID
    kind: str
    reference: str | None
    amount: int
    unit: Unit
    effective_at: datetime
    recorded_at: datetime
    balance_after: int = Field(description="The posted balance right after this posting.")


class StatementOut(BaseModel):
    account_id: uuid.UUID
    unit: Unit
    entries: list[StatementEntryOut]
    next_before: int | None = Field(
        description="Pass as `before` for the next, older page; null on the last page."
    )

    @classmethod
    def of(cls, page: StatementPage) -> StatementOut:
        return cls(
            account_id=page.account_id,
            unit=Unit(page.unit),
            entries=[
                StatementEntryOut(
                    posting_id=entry.posting_id,
                    transaction_id=entry.transaction_id,
                    kind=entry.kind,
                    reference=entry.reference,
                    amount=entry.amount,
                    unit=Unit(entry.unit),
                    effective_at=entry.effective_at,
                    recorded_at=entry.recorded_at,
                    balance_after=entry.balance_after,
                )
                for entry in page.entries
            ],
            next_before=page.next_before,
        )


class PostingOut(BaseModel):
    account_id: uuid.UUID
    amount: int
    unit: Unit


class TransactionOut(BaseModel):
    id: uuid.UUID
    kind: str
    reference: str | None
    effective_at: datetime
    created_at: datetime
    created_by: uuid.UUID | None
    metadata: dict[str, Any]
    reverses: uuid.UUID | None
    reversed_by: uuid.UUID | None
    postings: list[PostingOut]


class AdjustmentIn(BaseModel):
    """A manual correction of one account; the other side is the city's adjustments account."""

    model_config = ConfigDict(extra="forbid")

    account_id: uuid.UUID
    amount: WholeNumber = Field(
        ge=-MAX_AMOUNT, le=MAX_AMOUNT, description="Signed: positive adds to the account."
    )
    unit: Unit | None = Field(default=None, description="If given, must be the account's unit.")
    reason: str = Field(min_length=1, max_length=500)
    idempotency_key: str = Field(min_length=1, max_length=MAX_KEY_LENGTH)

    @field_validator("amount")
    @classmethod
    def _not_zero(cls, amount: int) -> int:
        if amount == 0:
            raise ValueError("must not be zero")
        return amount

    @field_validator("reason")
    @classmethod
    def _reason_said(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("must not be blank")
        return reason.strip()


class ReversalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="Send the same key to retry safely; without one, a second call is refused.",
    )

    @field_validator("reason")
    @classmethod
    def _reason_said(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("must not be blank")
        return reason.strip()
