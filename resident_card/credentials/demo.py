"""Demo: a first signing key, so the demo wallet can show its QR at once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.credentials import service


def load_demo(session: Session, settings: Settings, now: datetime) -> list[str]:
    key = service.ensure_signing_key(session, settings, now=now)
    return [f"keys: {'signing key ' + key.kid if key else 'already there'}"]
