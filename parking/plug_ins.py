"""What parking brings to registries other domains own, listed in its manifest and installed by
the composition root when parking is on: the facts it knows about residents, for the eligibility
engine; and its parking passes, which a signing key must not strand when it is retired."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from benefits.eligibility.rules.known_facts import Fact
from benefits.eligibility.service.facts import Facts
from kernel.settings import Settings
from parking.service.permits import (
    reissue_passes,
    resident_parking_facts,
    unexpired_passes_signed_by,
)
from parking.settings import parking_settings
from resident_card.credentials.service import KeyHolders, Keyring

FACTS = Facts(
    definitions=(
        Fact(
            "parking_zone",
            str,
            {"he": "אזור חניה", "ar": "منطقة الوقوف", "en": "parking zone"},
            nullable=True,
        ),
        Fact(
            "vehicle_count",
            int,
            {"he": "רכבים במשק הבית", "ar": "مركبات الأسرة", "en": "household vehicles"},
        ),
        Fact(
            "vehicle_in_household",
            bool,
            {
                "he": "הרכב רשום לתושב או למשק הבית",
                "ar": "المركبة مسجلة للمقيم أو لأسرته",
                "en": "vehicle registered to the resident or household",
            },
        ),
        Fact(
            "household_parking_permits",
            int,
            {
                "he": "תווי חניה בתוקף במשק הבית",
                "ar": "تصاريح الوقوف السارية للأسرة",
                "en": "household parking permits in force",
            },
        ),
    ),
    source=resident_parking_facts,
)


def _reissue(
    session: Session, settings: Settings, keyring: Keyring, kid: str, now: datetime
) -> int:
    return reissue_passes(session, parking_settings(settings), keyring, kid=kid, now=now)


# Parking passes, as ``toshav keys retire`` counts and re-issues them.
PASS_HOLDERS = KeyHolders(
    {"he": "תווי חניה", "ar": "تصاريح وقوف", "en": "parking passes"},
    count=unexpired_passes_signed_by,
    reissue=_reissue,
)
