"""The city's bundled street list, loaded by ``toshav demo load``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.city.service import load_city


def load_demo(session: Session, settings: Settings, now: datetime) -> list[str]:
    counts = load_city(session)
    return [
        f"city {kind}: {tally['created']} created, {tally['unchanged'] + tally['updated']} already there"
        for kind, tally in counts.items()
    ]
