"""What parking tells residents, in the transaction of the event that caused it: a permit granted or
refused, a permit about to end (``EXPIRING_PERMITS``, a daily job), a permit revoked by a change,
and a pass signed afresh. Each goes to the accounts that answer for the permit's holder
(``resident_card.residents.notices.recipients``) and links to the wallet's parking section.

A permit the resident cancels themselves tells them nothing: the wallet has just shown it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision
from kernel import notices, schedule
from kernel.i18n import Text
from kernel.notices import Category, Notice
from kernel.schedule import Counts, Job, JobContext
from kernel.settings import Settings
from parking.models import Permit, PermitEnd
from parking.repository import PermitRepository, ZoneRepository
from parking.schemas import show_plate
from parking.service.calendar import last_valid_day
from parking.settings import parking_settings
from resident_card.residents.notices import recipients
from resident_card.residents.service import records as residents

PARKING_LINK = "/wallet#parking"
# Permits the daily reminder reads in one transaction of its own.
REMINDER_BATCH = 200

# Why a permit was ended by a change, as its holder reads it; a cancelled permit tells no one.
END_REASONS: dict[PermitEnd, Text] = {
    PermitEnd.moved: {
        "he": "הכתובת אינה באזור הזה עוד",
        "ar": "لم يعد العنوان ضمن هذه المنطقة",
        "en": "the address is no longer in that zone",
    },
    PermitEnd.residency: {
        "he": "התושבות אינה מאומתת עוד",
        "ar": "لم تعد الإقامة موثقة",
        "en": "the residency is no longer verified",
    },
    PermitEnd.vehicle_removed: {
        "he": "הרכב הוסר ממשק הבית",
        "ar": "أزيلت المركبة من الأسرة",
        "en": "the vehicle was removed from the household",
    },
}
NO_ZONE: Text = {
    "he": "הכתובת אינה באף אזור חניה.",
    "ar": "العنوان ليس ضمن أي منطقة وقوف.",
    "en": "The address is in no parking zone.",
}
NOT_IN_HOUSEHOLD: Text = {
    "he": "הרכב אינו רשום למשק הבית.",
    "ar": "المركبة غير مسجلة للأسرة.",
    "en": "The vehicle is not registered to the household.",
}
# How a sentence ends; a condition's text without one (a bare comparison) is given a full stop.
SENTENCE_ENDS = (".", "!", "?", "؟")


def _zone_names(session: Session, permit: Permit) -> Text:
    zone = ZoneRepository(session).by_id(permit.zone_id) if permit.zone_id else None
    if zone is None:
        return {"he": "-", "ar": "-", "en": "-"}
    return zone.names


def _until(permit: Permit, settings: Settings) -> str:
    assert permit.valid_to is not None
    return last_valid_day(permit.valid_to, settings).strftime("%d.%m.%Y")


def _post(
    session: Session,
    permit: Permit,
    category: Category,
    title: Text,
    body: Text,
    *,
    key: str | None = None,
) -> int:
    """Post to every account that answers for the permit's holder; how many were posted."""
    resident = residents.get_resident(session, permit.resident_id)
    if resident is None:  # pragma: no cover - a foreign key keeps the holder there
        return 0
    accounts = recipients(session, resident)
    for account_id in accounts:
        notices.post(
            session,
            Notice(
                account_id=account_id,
                category=category,
                title=title,
                body=body,
                link=PARKING_LINK,
                key=key,
            ),
        )
    return len(accounts)


def permit_decided(
    session: Session, settings: Settings, permit: Permit, decision: Decision, *, zone_found: bool
) -> None:
    """A permit application was decided: granted (its zone and last day), or refused (why)."""
    plate = show_plate(permit.plate)
    if permit.valid_to is not None:
        zone = _zone_names(session, permit)
        until = _until(permit, settings)
        _post(
            session,
            permit,
            Category.permits,
            {
                "he": "היתר החניה אושר",
                "ar": "تمت الموافقة على تصريح الوقوف",
                "en": "Parking permit granted",
            },
            {
                "he": f"היתר חניה לתושב לרכב {plate} באזור {zone['he']}, בתוקף עד {until}. "
                "התו בארנק, להצגה או להדפסה.",
                "ar": f"تصريح وقوف للمقيم للمركبة {plate} في منطقة {zone['ar']}، ساري حتى {until}. "
                "التصريح في المحفظة، للعرض أو الطباعة.",
                "en": f"A resident parking permit for vehicle {plate} in zone {zone['en']}, "
                f"valid until {until}. Its pass is in the wallet, to show or print.",
            },
        )
        return
    why = _refusal_reasons(
        decision, zone_found=zone_found, vehicle_found=permit.vehicle_id is not None
    )
    _post(
        session,
        permit,
        Category.permits,
        {"he": "היתר החניה נדחה", "ar": "رُفض تصريح الوقوف", "en": "Parking permit refused"},
        {
            "he": f"הבקשה להיתר חניה לרכב {plate} נדחתה. {why['he']}",
            "ar": f"رُفض طلب تصريح الوقوف للمركبة {plate}. {why['ar']}",
            "en": f"The application for a parking permit for vehicle {plate} was refused. "
            f"{why['en']}",
        },
    )


def _refusal_reasons(decision: Decision, *, zone_found: bool, vehicle_found: bool) -> Text:
    """The conditions the application failed, in each language, a sentence each."""
    failed: list[Text] = [
        reason.text
        for reason in decision.reason_list()
        if reason.kind == "compare" and not reason.passed
    ]
    if not failed and not zone_found:
        failed.append(NO_ZONE)
    if not failed and not vehicle_found:
        failed.append(NOT_IN_HOUSEHOLD)
    return {
        "he": " ".join(_sentence(text["he"]) for text in failed),
        "ar": " ".join(_sentence(text["ar"]) for text in failed),
        "en": " ".join(_sentence(text["en"]) for text in failed),
    }


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(SENTENCE_ENDS) else f"{text}."


def permit_ended(session: Session, permit: Permit, reason: PermitEnd) -> None:
    """A change ended a permit and revoked its pass (the holder moved, is no longer verified, or
    the vehicle left the household); a permit its holder cancelled tells no one."""
    why = END_REASONS.get(reason)
    if why is None:
        return
    plate = show_plate(permit.plate)
    zone = _zone_names(session, permit)
    _post(
        session,
        permit,
        Category.revocations,
        {"he": "היתר החניה בוטל", "ar": "أُلغي تصريح الوقوف", "en": "Parking permit revoked"},
        {
            "he": f"היתר החניה לרכב {plate} באזור {zone['he']} בוטל: {why['he']}. "
            "התו שלו אינו תקף עוד.",
            "ar": f"أُلغي تصريح الوقوف للمركبة {plate} في منطقة {zone['ar']}: {why['ar']}. "
            "لم يعد تصريحه صالحًا.",
            "en": f"The parking permit for vehicle {plate} in zone {zone['en']} was revoked: "
            f"{why['en']}. Its pass no longer counts.",
        },
    )


def pass_reissued(session: Session, permit: Permit) -> None:
    """A permit's pass was signed afresh (its key retired): the old pass no longer counts."""
    plate = show_plate(permit.plate)
    zone = _zone_names(session, permit)
    _post(
        session,
        permit,
        Category.revocations,
        {"he": "תו חניה חדש", "ar": "تصريح وقوف جديد", "en": "A new parking pass"},
        {
            "he": f"התו של היתר החניה לרכב {plate} באזור {zone['he']} הונפק מחדש, והתו הקודם "
            "אינו תקף עוד. הציגו או הדפיסו את החדש מהארנק.",
            "ar": f"أُعيد إصدار تصريح الوقوف للمركبة {plate} في منطقة {zone['ar']}، ولم يعد "
            "التصريح السابق صالحًا. اعرض الجديد أو اطبعه من المحفظة.",
            "en": f"The pass of the parking permit for vehicle {plate} in zone {zone['en']} was "
            "issued afresh; the old pass no longer counts. Show or print the new one from the "
            "wallet.",
        },
    )


# --- the daily reminder ------------------------------------------------------------------------


def reminder_key(permit_id: uuid.UUID) -> str:
    """One reminder per permit, however many nights find it about to end."""
    return f"parking.permit_expiring:{permit_id}"


def remind_expiring(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    after: uuid.UUID | None = None,
    limit: int = REMINDER_BATCH,
) -> tuple[int, uuid.UUID | None]:
    """Tell the holders of permits in force that end within the reminder's days (from ``after``,
    by id, ``limit`` of them): how many permits, and the id to go on from (None: no more)."""
    days = parking_settings(settings).parking_permit_reminder_days
    permits = PermitRepository(session).ending_between(
        now, now + timedelta(days=days), after=after, limit=limit
    )
    for permit in permits:
        plate = show_plate(permit.plate)
        zone = _zone_names(session, permit)
        until = _until(permit, settings)
        _post(
            session,
            permit,
            Category.permits,
            {
                "he": "היתר החניה מסתיים בקרוב",
                "ar": "تصريح الوقوف ينتهي قريبًا",
                "en": "Your parking permit ends soon",
            },
            {
                "he": f"היתר החניה לרכב {plate} באזור {zone['he']} בתוקף עד {until}. "
                "כשיסתיים, אפשר לבקש היתר חדש בארנק.",
                "ar": f"تصريح الوقوف للمركبة {plate} في منطقة {zone['ar']} ساري حتى {until}. "
                "عند انتهائه يمكن طلب تصريح جديد في المحفظة.",
                "en": f"The parking permit for vehicle {plate} in zone {zone['en']} is valid "
                f"until {until}. Once it ends, apply for a new one in the wallet.",
            },
            key=reminder_key(permit.id),
        )
    next_after = permits[-1].id if len(permits) == limit else None
    return len(permits), next_after


def _remind_every_expiring(ctx: JobContext) -> Counts:
    """The job's run: every permit about to end, a batch per transaction."""
    reminded = 0
    after: uuid.UUID | None = None
    while True:
        found, after = ctx.transactions(
            partial(remind_expiring, settings=ctx.settings, now=ctx.now, after=after)
        )
        reminded += found
        if after is None:
            return {"reminded": reminded}


EXPIRING_PERMITS = Job(
    name="parking.expiring_permits", cadence=schedule.daily(), run=_remind_every_expiring
)
