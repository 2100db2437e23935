"""Enrolment as a request: the card's ``RequestSource``. A resident's enrolment and every later
change of their residency, from the status history: submitted, waiting for a clerk, then verified or
refused with the clerk's reason, and any suspension, reinstatement or move out after that."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from kernel.i18n import Text
from resident_card.requests.sources import PersonRequest, RequestSource, Step
from resident_card.residents.models import ResidencyStatus, Resident, StatusChange
from resident_card.residents.repository import ResidentRepository

KIND = "enrolment"

SUBMITTED: Text = {
    "he": "בקשת ההרשמה התקבלה",
    "ar": "تم استلام طلب التسجيل",
    "en": "Enrolment received",
}
WAITING: Text = {
    "he": "ממתינה לאימות התושבות בידי פקיד העירייה",
    "ar": "بانتظار تحقق موظف البلدية من الإقامة",
    "en": "Waiting for a city clerk to verify residency",
}
STATUS_TEXTS: dict[str, Text] = {
    "verified": {"he": "התושבות אומתה", "ar": "تم التحقق من الإقامة", "en": "Residency verified"},
    "refused": {"he": "הבקשה נדחתה", "ar": "تم رفض الطلب", "en": "Refused"},
    "suspended": {"he": "התושבות הושעתה", "ar": "تم تعليق الإقامة", "en": "Residency suspended"},
    "reinstated": {"he": "התושבות חודשה", "ar": "أُعيدت الإقامة", "en": "Residency reinstated"},
    "moved_out": {"he": "עזיבת העיר", "ar": "الانتقال من المدينة", "en": "Moved out of the city"},
}
FROM_REGISTRY: Text = {
    "he": "רשום/ה במרשם האוכלוסין של העיר",
    "ar": "مسجَّل في سجل سكان المدينة",
    "en": "On record in the city's population registry",
}


def _for_ward(name: str) -> Text:
    """The note that says whose enrolment it is, when it is a ward's."""
    return {"he": f"עבור {name}", "ar": f"لـ {name}", "en": f"For {name}"}


def _status_of(change: StatusChange) -> str:
    """The request's word for a residency change."""
    if change.to_status == ResidencyStatus.rejected:
        return "refused"
    if change.to_status == ResidencyStatus.verified and change.from_status is not None:
        return "reinstated" if change.from_status == ResidencyStatus.suspended else "verified"
    return change.to_status


def _timeline(history: Sequence[StatusChange], ward_note: Text | None) -> tuple[Step, ...]:
    first, later = history[0], history[1:]
    if first.to_status == ResidencyStatus.pending:
        steps = [
            Step("submitted", SUBMITTED, first.at, ward_note),
            Step("waiting", WAITING, first.at),
        ]
    else:  # a record the population registry made, verified from its first day
        status = _status_of(first)
        texts = STATUS_TEXTS.get(status, STATUS_TEXTS["verified"])
        steps = [Step(status, texts, first.at, ward_note or FROM_REGISTRY)]
    for change in later:
        status = _status_of(change)
        if status in STATUS_TEXTS:
            steps.append(Step(status, STATUS_TEXTS[status], change.at, change.reason))
    return tuple(steps)


def enrolments(
    session: Session, user_id: uuid.UUID, resident_ids: Sequence[uuid.UUID]
) -> list[PersonRequest]:
    """The enrolment of each resident the person answers for (their own, their wards'), with every
    change of residency since. Two queries, however many residents."""
    repository = ResidentRepository(session)
    histories: dict[uuid.UUID, list[StatusChange]] = defaultdict(list)
    for change in repository.status_histories(resident_ids):
        histories[change.resident_id].append(change)
    residents: dict[uuid.UUID, Resident] = {r.id: r for r in repository.by_ids(resident_ids)}
    found = []
    for resident_id, history in histories.items():
        resident = residents.get(resident_id)
        if resident is None:  # pragma: no cover - a foreign key keeps it there
            continue
        ward_note = None if resident.user_id == user_id else _for_ward(resident.first_name)
        found.append(
            PersonRequest(
                id=resident_id,
                kind=KIND,
                created_at=history[0].at,
                timeline=_timeline(history, ward_note),
            )
        )
    return found


SOURCE = RequestSource(requests=enrolments)
