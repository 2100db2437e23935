"""A person's file: everything the service holds about the signed-in account and the residents it
answers for, each domain's part from its installed section. Reads only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.accounts.models import User
from resident_card.requests.service import residents_answered_for
from resident_card.rights import sections
from resident_card.rights.sections import Holder, Json

# The file's shape; a reader checks it before anything else.
FORMAT = "toshav-export/1"


def export(session: Session, settings: Settings, user: User, now: datetime) -> dict[str, Json]:
    """The person's file: who and when it was made for, then every installed domain's parts."""
    holder = Holder(
        user_id=user.id,
        resident_ids=tuple(residents_answered_for(session, settings, user.id, now)),
        language=user.preferred_language,
        now=now,
    )
    document: dict[str, Json] = {
        "format": FORMAT,
        "made_at": now.isoformat(),
        "account_id": str(user.id),
        "resident_ids": [str(resident_id) for resident_id in holder.resident_ids],
    }
    for section in sections.export_sections():
        document.update(section.export(session, holder))
    return document
