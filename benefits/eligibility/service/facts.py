"""A resident's facts: the resident's own, and those the installed domains know.

A domain that knows facts about residents the engine cannot (parking: the zone of their address,
their household's vehicles and permits) lists a ``Facts`` plug-in in its manifest; the composition
root installs the enabled domains' plug-ins (``install``), never an import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.rules import known_facts
from benefits.eligibility.rules.known_facts import Fact
from benefits.eligibility.service.city_clock import city_zone
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents

# ``source(session, resident, at)``: the facts a domain knows of a resident at the moment ``at``;
# each must be one of the domain's ``definitions``.
FactSource = Callable[[Session, Resident, datetime], Mapping[str, object]]


@dataclass(frozen=True)
class Facts:
    """A domain's facts for the eligibility engine: what rules may name, and where a resident's
    values come from."""

    definitions: tuple[Fact, ...]
    source: FactSource | None = None


# Replaced whole by ``install``, never changed in place.
_sources: tuple[FactSource, ...] = ()


def install(on: Sequence[Facts], *, off: Sequence[Facts] = ()) -> None:
    """Make the facts of the domains that are ``on`` known to rules and ask their sources, in place
    of what was installed before (installing again changes nothing). ``off``: the plug-ins of the
    domains switched off, whose facts a programme file may name (it is then set aside)."""
    global _sources
    known_facts.install(
        (fact for plug_in in on for fact in plug_in.definitions),
        switched_off=(fact for plug_in in off for fact in plug_in.definitions),
    )
    _sources = tuple(dict.fromkeys(p.source for p in on if p.source is not None))


def facts_of(
    session: Session, resident: Resident, on: datetime, *, zone: ZoneInfo | None = None
) -> dict[str, object]:
    """Every fact the rules may read about a resident at the moment ``on``: the resident's own
    (age, residency, neighbourhood, household… on that day of the city's calendar) and those of
    every installed source. Use it wherever a decision is made for a resident, so no programme
    is judged without the facts its rule names."""
    facts = residents.resident_facts(session, resident, on.astimezone(city_zone(zone)).date())
    for source in _sources:
        facts.update(source(session, resident, on))
    return facts
