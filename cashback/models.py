"""Cashback's tables: businesses and their staff, campaigns, purchases, refunds, redemptions,
consumed card tokens, residents' cashback wallets, fraud flags and monthly settlements.

Money is in the ledger; these rows say what caused each movement. A purchase keeps running totals
(refunded, cashback taken back) that change only under a lock on the resident's wallet row, and
refunds, redemptions, token uses and settlements are append-only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin
from resident_card.city.models import NamedInThreeLanguages


class MerchantStatus(StrEnum):
    pending = "pending"  # applied, waiting for a clerk
    approved = "approved"
    suspended = "suspended"
    rejected = "rejected"


class BusinessCategory(StrEnum):
    grocery = "grocery"
    restaurant = "restaurant"
    cafe = "cafe"
    clothing = "clothing"
    books = "books"
    pharmacy = "pharmacy"
    hardware = "hardware"
    beauty = "beauty"
    services = "services"
    other = "other"


class FlagStatus(StrEnum):
    open = "open"
    resolved = "resolved"


class FlagOutcome(StrEnum):
    dismissed = "dismissed"  # looked at: nothing wrong
    confirmed = "confirmed"  # looked at: abuse (the clerk then acts: suspends, refunds)


class Merchant(RecordMixin, Base):
    """A local small business in the cashback scheme (or applying to be)."""

    __tablename__ = "cashback_merchants"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'approved', 'suspended', 'rejected')", name="status_known"
        ),
        CheckConstraint("house_number >= 1", name="house_number_positive"),
    )

    # The Israeli registry number of the business (9 digits with a check digit).
    registry_number: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20), index=True)
    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"))
    house_number: Mapped[int]
    neighbourhood_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)
    status: Mapped[str] = mapped_column(
        String(10), default=MerchantStatus.pending.value, index=True
    )
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_changed_at: Mapped[datetime | None]
    applied_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class MerchantStaff(RecordMixin, Base):
    """A staff account (role ``merchant``) belongs to one business."""

    __tablename__ = "cashback_merchant_staff"

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_merchants.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), unique=True)


class Campaign(RecordMixin, NamedInThreeLanguages, Base):
    """A cashback offer: its rate, caps, who and where, when, and its budget (a ledger account)."""

    __tablename__ = "cashback_campaigns"
    __table_args__ = (
        CheckConstraint("rate_bp >= 1 AND rate_bp <= 10000", name="rate_in_range"),
        CheckConstraint("min_purchase_agorot >= 0", name="minimum_not_negative"),
    )

    code: Mapped[str] = mapped_column(String(40), unique=True)
    rate_bp: Mapped[int]  # basis points: 1000 is 10%
    min_purchase_agorot: Mapped[int] = mapped_column(BigInteger, default=0)
    cap_per_purchase_agorot: Mapped[int | None] = mapped_column(BigInteger)
    cap_per_resident_month_agorot: Mapped[int | None] = mapped_column(BigInteger)
    cap_per_resident_business_day_agorot: Mapped[int | None] = mapped_column(BigInteger)
    # Empty: every category (neighbourhood); otherwise only those listed (neighbourhood codes).
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    neighbourhoods: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Which residents: the eligibility engine's programme.
    programme_code: Mapped[str] = mapped_column(String(50), default="cashback_resident")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    budget_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_accounts.id"), unique=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Paused by a clerk since then (purchases refused until resumed); None while not paused.
    paused_at: Mapped[datetime | None]
    # Ended early by a clerk (ends_at then says the same moment); None otherwise.
    ended_at: Mapped[datetime | None]
    # What went back from the budget to the city once the campaign ended (its unspent budget, and
    # cashback that came back to it afterwards through refunds and lapsed holds).
    returned_agorot: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    def is_running(self, at: datetime) -> bool:
        """Within its dates and not paused: purchases may earn from it."""
        return self.is_within_dates(at) and self.paused_at is None

    def is_within_dates(self, at: datetime) -> bool:
        return self.starts_at <= at and (self.ends_at is None or at < self.ends_at)

    def has_ended(self, at: datetime) -> bool:
        return self.ends_at is not None and self.ends_at <= at

    def state(self, at: datetime) -> str:
        """scheduled, running, paused or ended."""
        if self.has_ended(at):
            return "ended"
        if self.paused_at is not None:
            return "paused"
        return "running" if self.starts_at <= at else "scheduled"


class Wallet(RecordMixin, Base):
    """A resident's cashback accounts. Its row is the lock every change of their cashback takes
    first (purchases, refunds, redemptions, releases), so caps and balances are read stable."""

    __tablename__ = "cashback_wallets"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), unique=True)
    cashback_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"))
    # What the resident owes back (refunds of cashback they had already spent): may go negative.
    receivable_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"))


class Purchase(RecordMixin, Base):
    """A purchase at a business that earned cashback."""

    __tablename__ = "cashback_purchases"
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key"),
        Index("ix_cashback_purchases_resident_id_created_at", "resident_id", "created_at"),
        # A business's purchases by time; the rest of its columns let the city's figures (by
        # business, resident, campaign and month) read the index alone, never the rows.
        Index(
            "ix_cashback_purchases_merchant_id_created_at",
            "merchant_id",
            "created_at",
            "resident_id",
            "campaign_id",
            "amount_agorot",
            "refunded_agorot",
            "cashback_agorot",
            "cashback_returned_agorot",
        ),
        Index(
            "ix_cashback_purchases_campaign_id_resident_id_created_at",
            "campaign_id",
            "resident_id",
            "created_at",
        ),
        # The release's queue (not yet released, due by) and, with its last two columns, the
        # campaigns' released cashback by month read from the index alone.
        Index(
            "ix_cashback_purchases_released_at_available_at",
            "released_at",
            "available_at",
            "campaign_id",
            "released_agorot",
        ),
        CheckConstraint("amount_agorot >= 1", name="amount_positive"),
        CheckConstraint("cashback_agorot >= 1", name="cashback_positive"),
        CheckConstraint(
            "refunded_agorot >= 0 AND refunded_agorot <= amount_agorot", name="refunds_in_range"
        ),
        CheckConstraint(
            "cashback_returned_agorot >= 0 AND cashback_returned_agorot <= cashback_agorot",
            name="returned_in_range",
        ),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_merchants.id"))
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_campaigns.id"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"))
    staff_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    amount_agorot: Mapped[int] = mapped_column(BigInteger)
    receipt: Mapped[str] = mapped_column(String(64))
    cashback_agorot: Mapped[int] = mapped_column(BigInteger)
    # The campaign's rate when the purchase was made (a later change applies to later purchases).
    rate_bp: Mapped[int]
    # Why this cashback: a list of {"code": ..., "params": {...}}, shown in the caller's language.
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("eligibility_decisions.id"))
    # The ledger hold of the cashback while the return window runs (replaced by a smaller one
    # after a partial refund); None once nothing is held.
    hold_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_holds.id"))
    hold_count: Mapped[int] = mapped_column(default=1)
    available_at: Mapped[datetime]
    released_at: Mapped[datetime | None]  # when the hold was captured: the cashback is spendable
    # What the capture moved to the resident's spendable cashback (the hold's captured amount);
    # None until then, and for a purchase whose hold had expired before its release.
    released_agorot: Mapped[int | None] = mapped_column(BigInteger)
    refunded_agorot: Mapped[int] = mapped_column(BigInteger, default=0)
    cashback_returned_agorot: Mapped[int] = mapped_column(BigInteger, default=0)


class Refund(RecordMixin, Base):
    """Goods returned: part or all of a purchase, and the cashback taken back for it. Append-only."""

    __tablename__ = "cashback_refunds"
    __table_args__ = (
        UniqueConstraint("purchase_id", "idempotency_key"),
        CheckConstraint("amount_agorot >= 1", name="amount_positive"),
    )

    purchase_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_purchases.id"), index=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_merchants.id"), index=True)
    staff_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    amount_agorot: Mapped[int] = mapped_column(BigInteger)
    receipt: Mapped[str | None] = mapped_column(String(64))
    cashback_taken_back_agorot: Mapped[int] = mapped_column(BigInteger)
    from_hold_agorot: Mapped[int] = mapped_column(BigInteger)  # still held: simply not paid
    from_balance_agorot: Mapped[int] = mapped_column(BigInteger)  # taken from the balance
    shortfall_agorot: Mapped[int] = mapped_column(BigInteger)  # already spent: now owed
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transactions.id"))


class Redemption(RecordMixin, Base):
    """A resident spends cashback at a business; the city then owes the business. Append-only."""

    __tablename__ = "cashback_redemptions"
    __table_args__ = (
        UniqueConstraint("merchant_id", "idempotency_key"),
        Index("ix_cashback_redemptions_merchant_id_created_at", "merchant_id", "created_at"),
        CheckConstraint("amount_agorot >= 1", name="amount_positive"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_merchants.id"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    staff_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    amount_agorot: Mapped[int] = mapped_column(BigInteger)
    receipt: Mapped[str | None] = mapped_column(String(64))
    # The resident's spendable cashback right after, so a retry gets the very same answer.
    balance_after_agorot: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_transactions.id"))


class CardTokenUse(RecordMixin, Base):
    """A card token's ``jti``, consumed by a purchase or a redemption: each token is used once."""

    __tablename__ = "cashback_card_token_uses"

    jti: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_merchants.id"))
    used_for: Mapped[str] = mapped_column(String(12))  # "purchase" or "redemption"


class Flag(RecordMixin, Base):
    """A fraud signal raised by a purchase, for a clerk to review."""

    __tablename__ = "cashback_flags"
    __table_args__ = (
        UniqueConstraint("purchase_id", "signal"),
        Index("ix_cashback_flags_status_created_at", "status", "created_at"),
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
    )

    purchase_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_purchases.id"))
    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_merchants.id"), index=True)
    signal: Mapped[str] = mapped_column(String(30))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=FlagStatus.open.value)
    outcome: Mapped[str | None] = mapped_column(String(10))
    resolution_reason: Mapped[str | None] = mapped_column(String(500))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]


class Settlement(RecordMixin, Base):
    """A business's statement for one month and the city's payment of what it owed. Append-only."""

    __tablename__ = "cashback_settlements"
    __table_args__ = (UniqueConstraint("merchant_id", "period"),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cashback_merchants.id"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM on the city's calendar
    purchases: Mapped[int]
    purchases_agorot: Mapped[int] = mapped_column(BigInteger)
    cashback_agorot: Mapped[int] = mapped_column(BigInteger)
    refunds_agorot: Mapped[int] = mapped_column(BigInteger)
    redemptions: Mapped[int]
    paid_agorot: Mapped[int] = mapped_column(BigInteger)  # what the city paid: the redemptions
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transactions.id"))
    statement_csv: Mapped[str] = mapped_column(Text)
