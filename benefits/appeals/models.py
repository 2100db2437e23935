"""An appeal against a refused eligibility decision, and how a clerk decided it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin


class AppealStatus(StrEnum):
    submitted = "submitted"  # waiting for a clerk
    granted = "granted"
    refused = "refused"


class Appeal(RecordMixin, Base):
    """A request to look again at one refused decision. At most one is open per decision.

    Granted, it is answered by a new decision naming it (``eligibility_decisions.appeal_id``) and,
    for a periodic allowance, the period's ledger grant (``reference = "appeal:<id>"``).
    """

    __tablename__ = "appeals"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'granted', 'refused')", name="status_known"),
        Index(
            "uq_appeals_open_decision",
            "decision_id",
            unique=True,
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
        ),
        Index("ix_appeals_resident_created", "resident_id", "created_at"),
        Index("ix_appeals_status_created", "status", "created_at"),
    )

    decision_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("eligibility_decisions.id"))
    programme_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programmes.id"))
    # No foreign key, as with decisions: the residents package owns who a resident is.
    resident_id: Mapped[uuid.UUID]
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.submitted.value)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    # The ledger transaction a granted appeal caused, if it credited an allowance.
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_transactions.id"))
