"""Every query of the audit log. Rows are only ever added."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from resident_card.audit.models import AuditEntry


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> AuditEntry:
        self.session.add(entry)
        self.session.flush()
        return entry

    def list(
        self, *, subject_type: str | None, subject_id: str | None, limit: int, offset: int
    ) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id)
        if subject_type is not None:
            query = query.where(AuditEntry.subject_type == subject_type)
        if subject_id is not None:
            query = query.where(AuditEntry.subject_id == subject_id)
        return self.session.scalars(query.limit(limit).offset(offset)).all()
