"""A resident's facts: the resident's own, and those every registered source knows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.service.city_clock import city_zone
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents

# Facts other packages know about a resident (parking: vehicles, the zone, permits held), which
# ``benefits`` cannot import. A package registers its source when its service module is imported
# (the app factory imports every enabled domain), as the card's wallet lines are registered with
# ``resident_card.cards.summary``; the facts it returns must be registered facts (``register_fact``).
FactSource = Callable[[Session, Resident, datetime], Mapping[str, object]]

_fact_sources: list[FactSource] = []


def register_fact_source(source: FactSource) -> FactSource:
    """Add a source of facts about a resident (once; registering again changes nothing).

    ``source(session, resident, at)`` answers the facts it knows at the moment ``at``.
    Usable as a decorator.
    """
    if source not in _fact_sources:
        _fact_sources.append(source)
    return source


def unregister_fact_source(source: FactSource) -> None:
    """Remove a source (tests, and a domain switched off)."""
    if source in _fact_sources:
        _fact_sources.remove(source)


def facts_of(
    session: Session, resident: Resident, on: datetime, *, zone: ZoneInfo | None = None
) -> dict[str, object]:
    """Every fact the rules may read about a resident at the moment ``on``: the resident's own
    (age, residency, neighbourhood, household… on that day of the city's calendar) and those of
    every registered source. Use it wherever a decision is made for a resident, so no programme
    is judged without the facts its rule names."""
    facts = residents.resident_facts(session, resident, on.astimezone(city_zone(zone)).date())
    for source in _fact_sources:
        facts.update(source(session, resident, on))
    return facts
