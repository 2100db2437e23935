"""Reading the audit log: who did what, to what, when, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kernel.database import DbSession
from kernel.errors import Forbidden, NotAuthenticated, Unprocessable, responses
from kernel.kit.pagination import PaginationQuery
from resident_card.accounts.dependencies import StaffReader
from resident_card.audit import service
from resident_card.audit.schemas import AuditEntryOut, AuditPage

router = APIRouter(tags=["audit"])


@router.get(
    "/admin/audit",
    response_model=AuditPage,
    responses=responses(NotAuthenticated, Forbidden, Unprocessable),
)
def audit_log(
    caller: StaffReader,
    session: DbSession,
    pagination: PaginationQuery,
    subject_type: Annotated[str | None, Query(max_length=50)] = None,
    subject_id: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    """Audit-log entries, newest first, by subject (admin, auditor)."""
    entries = service.list_entries(
        session,
        subject_type=subject_type,
        subject_id=subject_id,
        limit=pagination.limit,
        offset=pagination.offset,
    )
    return AuditPage.of(
        [
            AuditEntryOut(
                id=e.id,
                created_at=e.created_at,
                actor_id=e.actor_id,
                action=e.action,
                subject_type=e.subject_type,
                subject_id=e.subject_id,
                before=e.before,
                after=e.after,
                reason=e.reason,
            )
            for e in entries
        ],
        pagination=pagination,
    )
