"""How long card tokens' uses are kept: a use exists to refuse its token a second time, and a
token lives an hour at most; past the retention days the use is deleted."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.orm import Session

from cashback.repository.scans import ScanRepository
from kernel.retention import Retention
from resident_card.audit.retention import retention_job


def forget_token_uses(session: Session, cutoff: datetime, now: datetime) -> int:
    return ScanRepository(session).forget_uses_before(cutoff)


TOKEN_USES = Retention(
    "cashback.card_token_uses", "cashback_token_use_retention_days", forget_token_uses
)
RULES = (TOKEN_USES,)
RETENTION = retention_job("cashback.apply_retention", RULES, at=time(3, 15))
