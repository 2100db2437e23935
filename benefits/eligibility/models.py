"""Programmes, their dated rule versions, the decisions made under them, and periodic grants."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from benefits.eligibility.rules.evaluation import Reason
from kernel.database import Base, RecordMixin, utcnow
from kernel.i18n import Text


class ProgrammeStatus(StrEnum):
    active = "active"
    retired = "retired"


class BenefitUnit(StrEnum):
    """The ledger's units: money in agorot, parking time in minutes."""

    ILS = "ILS"
    PARKING_MIN = "PARKING_MIN"


class AllowancePeriod(StrEnum):
    month = "month"


class Programme(RecordMixin, Base):
    """A benefit the city offers. It runs from ``active_from`` until (not including) ``active_to``."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint(
            "allowance_amount IS NULL OR (allowance_amount > 0 AND unit IS NOT NULL "
            "AND allowance_period IS NOT NULL)",
            name="allowance_has_unit",
        ),
        CheckConstraint("active_to IS NULL OR active_to > active_from", name="active_range"),
    )

    code: Mapped[str] = mapped_column(String(64), unique=True)
    names: Mapped[Text] = mapped_column(JSON)
    descriptions: Mapped[Text] = mapped_column(JSON)
    unit: Mapped[str | None] = mapped_column(String(16))
    allowance_amount: Mapped[int | None]
    allowance_period: Mapped[str | None] = mapped_column(String(16))
    active_from: Mapped[datetime]
    active_to: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=ProgrammeStatus.active.value)
    retired_at: Mapped[datetime | None]

    def is_running(self, at: datetime) -> bool:
        return (
            self.status == ProgrammeStatus.active
            and self.active_from <= at
            and (self.active_to is None or at < self.active_to)
        )


class RuleVersion(RecordMixin, Base):
    """One version of a programme's rule, in force from ``effective_from`` until ``effective_to``.

    Versions of a programme never overlap. A retired version stops at the moment it was retired
    (or, retired before it began, never applies: its range is empty).
    """

    __tablename__ = "programme_rule_versions"
    __table_args__ = (
        UniqueConstraint("programme_id", "version"),
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="effective_range"
        ),
        Index("ix_programme_rule_versions_programme_from", "programme_id", "effective_from"),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    version: Mapped[int]
    rule: Mapped[dict[str, Any]] = mapped_column(JSON)
    effective_from: Mapped[datetime]
    effective_to: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(500))
    retired_at: Mapped[datetime | None]

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def is_empty(self) -> bool:
        return self.effective_to is not None and self.effective_to <= self.effective_from


class Decision(Base):
    """Whether a resident was eligible for a programme, under which rule version, and why.

    Append-only: months later it still answers "why was I given (or refused) this". A ledger
    transaction a decision causes carries ``reference = "decision:<id>"``.
    """

    __tablename__ = "eligibility_decisions"
    __table_args__ = (
        Index("ix_eligibility_decisions_resident_decided", "resident_id", "decided_at"),
        Index("ix_eligibility_decisions_programme_decided", "programme_id", "decided_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    rule_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("programme_rule_versions.id")
    )
    # No foreign key, as in the ledger: the residents package owns who a resident is.
    resident_id: Mapped[uuid.UUID]
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A decision made by a clerk on appeal (an override of the rules' verdict) names the appeal.
    appeal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("appeals.id", use_alter=True))

    @property
    def eligible(self) -> bool:
        return self.outcome == "eligible"

    @property
    def reference(self) -> str:
        """What a ledger transaction caused by this decision carries as its ``reference``."""
        return f"decision:{self.id}"

    def reason_list(self) -> list[Reason]:
        return [Reason.from_json(reason) for reason in self.reasons]


class AllowanceGrant(RecordMixin, Base):
    """A periodic allowance credited to one resident for one period, and what expired of it.

    One per programme × resident × period; the ledger transaction carries the same promise through
    its idempotency key ``grant:{code}:{resident}:{period}``.
    """

    __tablename__ = "allowance_grants"
    __table_args__ = (
        UniqueConstraint("programme_id", "resident_id", "period"),
        # Uptake's figures by month (residents credited, amounts) read from the index alone.
        Index(
            "ix_allowance_grants_created_at_programme_id_resident_id_amount",
            "created_at",
            "programme_id",
            "resident_id",
            "amount",
        ),
    )

    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    resident_id: Mapped[uuid.UUID] = mapped_column(index=True)
    period: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int]
    unit: Mapped[str] = mapped_column(String(16))
    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("eligibility_decisions.id"))
    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_transactions.id"))
    # Set when the period's end has been processed: what was left and taken back (0: nothing left).
    expired_amount: Mapped[int | None]
    expiry_transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ledger_transactions.id")
    )
    expired_at: Mapped[datetime | None]
