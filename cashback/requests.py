"""A business's application to the cashback scheme as a request: cashback's ``RequestSource``, for
the account that applied and works there (the business's owner). Its steps come from the audit log
of the clerk's decisions: submitted, then approved or rejected, suspended, reinstated, each with the
clerk's reason. The last decision is dated as the business records it; none after it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cashback.models import MerchantStatus
from cashback.repository.merchants import MerchantRepository
from kernel.i18n import Text
from resident_card.audit import service as audit
from resident_card.audit.models import AuditEntry
from resident_card.requests.sources import PersonRequest, RequestSource, Step

KIND = "business_application"
SUBJECT = "cashback_merchant"
APPLIED = "cashback.merchant.apply"
DECIDED = {f"cashback.merchant.{status.value}": status for status in MerchantStatus}
# A business's decisions are few; this bounds one read of them all.
MOST_ENTRIES = 1000

STATUS_TEXTS: dict[str, Text] = {
    "submitted": {
        "he": "הבקשה להצטרף לתוכנית התקבלה וממתינה להחלטת העירייה",
        "ar": "تم استلام طلب الانضمام إلى البرنامج وهو بانتظار قرار البلدية",
        "en": "Application received; waiting for the city's decision",
    },
    "approved": {"he": "העסק אושר", "ar": "تمت الموافقة على المصلحة", "en": "Business approved"},
    "rejected": {"he": "הבקשה נדחתה", "ar": "تم رفض الطلب", "en": "Application rejected"},
    "suspended": {"he": "העסק הושעה", "ar": "تم تعليق المصلحة", "en": "Business suspended"},
    "reinstated": {"he": "העסק חודש", "ar": "أُعيد تفعيل المصلحة", "en": "Business reinstated"},
}


def _in_order(decisions: Sequence[AuditEntry]) -> list[AuditEntry]:
    """The clerk's decisions in the order they were made: by time, and, for decisions of one
    moment, each from the status the one before left."""
    remaining = sorted(decisions, key=lambda entry: entry.created_at)
    ordered: list[AuditEntry] = []
    current = MerchantStatus.pending.value
    while remaining:
        next_one = next(
            (e for e in remaining if (e.before or {}).get("status") == current), remaining[0]
        )
        remaining.remove(next_one)
        ordered.append(next_one)
        current = (next_one.after or {}).get("status", current)
    return ordered


def _step(entry: AuditEntry, latest: datetime | None) -> Step:
    """A decision as a step; dated by its audit entry, never after the business's last change of
    status (the moment the business itself records, on the service's clock)."""
    to = DECIDED[entry.action]
    before = (entry.before or {}).get("status")
    status = to.value
    if to == MerchantStatus.approved and before == MerchantStatus.suspended:
        status = "reinstated"
    at = entry.created_at if latest is None else min(entry.created_at, latest)
    return Step(status, STATUS_TEXTS[status], at, entry.reason)


def business_applications(
    session: Session, user_id: uuid.UUID, resident_ids: Sequence[uuid.UUID]
) -> list[PersonRequest]:
    """The application of the business this account applied for and works at, if any."""
    merchant = MerchantRepository(session).merchant_of_staff(user_id)
    if merchant is None or merchant.applied_by != user_id:
        return []
    entries = audit.list_entries(
        session, subject_type=SUBJECT, subject_id=str(merchant.id), limit=MOST_ENTRIES
    )
    steps = [Step("submitted", STATUS_TEXTS["submitted"], merchant.created_at, merchant.name)]
    decisions = _in_order([e for e in entries if e.action in DECIDED])
    steps.extend(_step(entry, merchant.status_changed_at) for entry in decisions)
    return [
        PersonRequest(
            id=merchant.id, kind=KIND, created_at=merchant.created_at, timeline=tuple(steps)
        )
    ]


SOURCE = RequestSource(requests=business_applications)
