"""A person's request to be erased, and how a clerk decided it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin


class ErasureStatus(StrEnum):
    submitted = "submitted"  # waiting for a clerk
    granted = "granted"
    refused = "refused"


class ErasureRequest(RecordMixin, Base):
    """One request to be erased. At most one is open per account; granted, the account and its
    resident record were anonymised in the same transaction as the decision."""

    __tablename__ = "erasure_requests"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'granted', 'refused')", name="status_known"),
        Index(
            "uq_erasure_requests_open_user",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'submitted'"),
            postgresql_where=text("status = 'submitted'"),
        ),
        Index("ix_erasure_requests_status_created_at", "status", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id"))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default=ErasureStatus.submitted.value)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
