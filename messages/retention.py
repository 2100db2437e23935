"""How long messages are kept: a message and its deliveries go once their days are past (not
while a delivery still waits to go out). A message posted once per account under a ``key`` could
be posted again after that: every key names a moment (a permit's end, a month) long past by then."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.orm import Session

from kernel.retention import Retention
from messages.repository import MessageRetentionRepository
from resident_card.audit.retention import retention_job


def delete_messages(session: Session, cutoff: datetime, now: datetime) -> int:
    return MessageRetentionRepository(session).delete_before(cutoff)


MESSAGES = Retention("messages.messages", "messages_retention_days", delete_messages)
RULES = (MESSAGES,)
RETENTION = retention_job("messages.apply_retention", RULES, at=time(3, 45))
