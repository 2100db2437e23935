"""Writing the audit log: every admin action leaves who, when, what, before and after."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from resident_card.audit.models import AuditEntry
from resident_card.audit.repository import AuditRepository


def record(
    session: Session,
    *,
    actor_id: uuid.UUID | None,
    action: str,
    subject_type: str,
    subject_id: str | uuid.UUID,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Append one entry. Never pass an ID number or a password in ``before``/``after``."""
    return AuditRepository(session).add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            before=before,
            after=after,
            reason=reason,
        )
    )


def list_entries(
    session: Session,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    return AuditRepository(session).list(
        subject_type=subject_type, subject_id=subject_id, limit=limit, offset=offset
    )
