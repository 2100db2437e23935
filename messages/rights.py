"""Messages' part of a person's file and of their erasure: what the service told the account, on
which channel and to which address, and the categories it turned off. A one-time link (a message
kept out of the inbox) is in the file without its link, whose token is a key. Erased, the account's
messages, their deliveries and its preferences are deleted."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from messages.repository import PersonMessages
from resident_card.rights.sections import Erased, ErasureStep, ExportSection, Holder, Json, record


def _export(session: Session, holder: Holder) -> Mapping[str, Json]:
    messages = PersonMessages(session)
    found = messages.messages(holder.user_id)
    return {
        "messages": [
            record(message, leave_out=() if message.in_inbox else ("link",)) for message in found
        ],
        "message_deliveries": [
            record(delivery, leave_out=("claimed_until",))
            for delivery in messages.deliveries([message.id for message in found])
        ],
        "message_preferences": [record(row) for row in messages.preferences(holder.user_id)],
    }


def _erase(session: Session, erased: Erased) -> None:
    PersonMessages(session).forget(erased.user_id)


EXPORT = ExportSection(export=_export)
ERASURE = ErasureStep(erase=_erase)
