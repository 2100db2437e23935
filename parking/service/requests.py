"""Permits as requests: parking's ``RequestSource``. Each permit application with the steps it went
through: applied, then granted or refused (with the reasons), each pass re-issued, and its end:
cancelled, revoked (and why) or expired. A permit's expiry is written at its date; the reader leaves
it out while that date is ahead."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision
from benefits.eligibility.rules.wording import together
from benefits.eligibility.service.decisions import list_decisions
from kernel.i18n import LANGUAGES, Text
from parking.models import ParkingPass, ParkingZone, Permit, PermitEnd, PermitStatus
from parking.repository import PassRepository, PermitRepository, ZoneRepository
from parking.schemas import show_plate
from parking.service.permits import PERMIT_PROGRAMME
from resident_card.requests.sources import PersonRequest, RequestSource, Step

KIND = "permit"

STATUS_TEXTS: dict[str, Text] = {
    "applied": {
        "he": "הוגשה בקשה לתו חניה",
        "ar": "قُدِّم طلب تصريح وقوف",
        "en": "Applied for a parking permit",
    },
    "granted": {"he": "התו אושר", "ar": "تمت الموافقة على التصريح", "en": "Permit granted"},
    "refused": {"he": "הבקשה נדחתה", "ar": "تم رفض الطلب", "en": "Refused"},
    "reissued": {"he": "הונפק תו חדש", "ar": "أُصدر تصريح جديد", "en": "Pass re-issued"},
    "cancelled": {"he": "בוטל על ידך", "ar": "أُلغي بطلبك", "en": "Cancelled by you"},
    "revoked": {"he": "התו בוטל", "ar": "أُلغي التصريح", "en": "Permit revoked"},
    "expired": {"he": "תוקף התו פג", "ar": "انتهت صلاحية التصريح", "en": "Permit expired"},
}
REVOKED_BECAUSE: dict[str, Text] = {
    PermitEnd.moved: {
        "he": "עברת לכתובת באזור חניה אחר",
        "ar": "انتقلت إلى عنوان في منطقة وقوف أخرى",
        "en": "You moved to an address in another parking zone",
    },
    PermitEnd.residency: {
        "he": "התושבות שלך אינה מאומתת עוד",
        "ar": "لم تعد إقامتك مُتحقَّقًا منها",
        "en": "Your residency is no longer verified",
    },
    PermitEnd.vehicle_removed: {
        "he": "הרכב הוסר ממשק הבית",
        "ar": "أُزيلت المركبة من الأسرة",
        "en": "The vehicle was removed from the household",
    },
}
REISSUED_NOTE: Text = {
    "he": "התו נחתם מחדש; הציגו או הדפיסו את התו החדש",
    "ar": "وُقِّع التصريح من جديد؛ اعرضوا التصريح الجديد أو اطبعوه",
    "en": "The pass was signed afresh: show or print the new one",
}
NOT_GRANTED: Text = {
    "he": "אין לכתובת אזור חניה, או שהרכב אינו רשום במשק הבית",
    "ar": "لا منطقة وقوف للعنوان، أو المركبة غير مسجلة للأسرة",
    "en": "Your address has no parking zone, or the vehicle is not registered to your household",
}
NO_ZONE: Text = {"he": "ללא אזור", "ar": "بلا منطقة", "en": "no zone"}


def _isolated(text: str) -> str:
    """A plate kept left to right inside a Hebrew or Arabic sentence."""
    return f"\u2066{text}\u2069"


def _what(permit: Permit, zone: ParkingZone | None) -> Text:
    """Which vehicle, which zone: the note that tells one permit from another."""
    plate = _isolated(show_plate(permit.plate))
    zones = zone.names if zone is not None else NO_ZONE
    return {
        "he": f"רכב {plate} · {zones['he']}",
        "ar": f"مركبة {plate} · {zones['ar']}",
        "en": f"Vehicle {plate} · {zones['en']}",
    }


def _refusal(decision: Decision | None) -> Text:
    """The conditions the application failed, in every language; a general word when none did
    (the rules passed, but there was no zone or no vehicle of the household)."""
    failed = [
        reason
        for reason in (decision.reason_list() if decision is not None else [])
        if reason.kind not in ("all", "any", "not") and reason.outcome != "pass"
    ]
    if not failed:
        return NOT_GRANTED
    joined = {language: together(r.text[language] for r in failed) for language in LANGUAGES}
    return {"he": joined["he"], "ar": joined["ar"], "en": joined["en"]}


def _timeline(
    permit: Permit,
    zone: ParkingZone | None,
    passes: Sequence[ParkingPass],
    decision: Decision | None,
) -> tuple[Step, ...]:
    steps = [Step("applied", STATUS_TEXTS["applied"], permit.created_at, _what(permit, zone))]
    if permit.status == PermitStatus.refused:
        steps.append(
            Step("refused", STATUS_TEXTS["refused"], permit.created_at, _refusal(decision))
        )
        return tuple(steps)
    steps.append(Step("granted", STATUS_TEXTS["granted"], permit.valid_from or permit.created_at))
    steps.extend(
        Step("reissued", STATUS_TEXTS["reissued"], later.created_at, REISSUED_NOTE)
        for later in passes[1:]
    )
    if permit.status == PermitStatus.cancelled and permit.ended_at is not None:
        steps.append(Step("cancelled", STATUS_TEXTS["cancelled"], permit.ended_at))
    elif permit.status == PermitStatus.ended and permit.ended_at is not None:
        because = REVOKED_BECAUSE.get(permit.end_reason or "")
        steps.append(Step("revoked", STATUS_TEXTS["revoked"], permit.ended_at, because))
    elif permit.valid_to is not None:
        steps.append(Step("expired", STATUS_TEXTS["expired"], permit.valid_to))
    return tuple(steps)


def _refusals(session: Session, permits: Sequence[Permit]) -> dict[uuid.UUID, Decision]:
    """The decisions behind refused applications: one query for each applicant who had one."""
    wanted = {p.decision_id for p in permits if p.status == PermitStatus.refused}
    found: dict[uuid.UUID, Decision] = {}
    for resident_id in {p.resident_id for p in permits if p.decision_id in wanted}:
        for decision in list_decisions(
            session, resident_id=resident_id, programme_code=PERMIT_PROGRAMME, limit=1000
        ):
            if decision.id in wanted:
                found[decision.id] = decision
    return found


def permit_requests(
    session: Session, user_id: uuid.UUID, resident_ids: Sequence[uuid.UUID]
) -> list[PersonRequest]:
    """Every permit application of the residents the person answers for."""
    permits = PermitRepository(session).of_residents(resident_ids)
    if not permits:
        return []
    zones = ZoneRepository(session).by_ids({p.zone_id for p in permits if p.zone_id})
    passes: dict[uuid.UUID, list[ParkingPass]] = defaultdict(list)
    for parking_pass in PassRepository(session).every_of_permits({p.id for p in permits}):
        passes[parking_pass.permit_id].append(parking_pass)
    decisions = _refusals(session, permits)
    return [
        PersonRequest(
            id=permit.id,
            kind=KIND,
            created_at=permit.created_at,
            timeline=_timeline(
                permit,
                zones.get(permit.zone_id) if permit.zone_id else None,
                passes[permit.id],
                decisions.get(permit.decision_id),
            ),
        )
        for permit in permits
    ]


SOURCE = RequestSource(requests=permit_requests)
