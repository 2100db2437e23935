"""The ground the year's parking plays on: the zones and the addresses in them, the cars and
their permits so far, the drivers and their free-minute accounts, and decisions of the parking
programmes, stored as the eligibility engine stores them."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.eligibility.models import Decision, Programme, RuleVersion
from benefits.eligibility.rules.evaluation import Evaluation
from benefits.eligibility.service.allowances import ISSUANCE_PURPOSE
from benefits.eligibility.service.decisions import judge
from benefits.ledger.models import Account, OwnerType, Unit
from parking.models import ParkingZone, Vehicle, ZoneKind, ZoneStreetRange
from parking.service.parking_time import USED_MINUTES_PURPOSE
from parking.settings import ParkingSettings
from resident_card.credentials.service import Keyring
from toshav.year.calendar import Year
from toshav.year.inserts import Inserts
from toshav.year.ledger import YearLedger
from toshav.year.people import Person
from toshav.year.timeline import Timeline

NewId = Callable[[], uuid.UUID]


@dataclass
class Car:
    id: uuid.UUID
    plate: str
    driver: Person
    registered_at: datetime
    permits: list[dict[str, Any]] = field(default_factory=list)
    pass_ids: dict[uuid.UUID, str] = field(default_factory=dict)


@dataclass
class Driver:
    person: Person
    minutes: dict[str, uuid.UUID] = field(default_factory=dict)  # programme code: account
    grants: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


@dataclass
class Tally:
    vehicles: int = 0
    permits: int = 0
    refused: int = 0
    grants: int = 0
    sessions: int = 0
    inspections: int = 0


class ParkingGround:
    """What every part of the year's parking shares: the zones, the cars, the drivers, the
    accounts, and decisions of the programmes."""

    def __init__(
        self,
        session: Session,
        rng: random.Random,
        new_id: NewId,
        inserts: Inserts,
        ledger: YearLedger,
        year: Year,
        settings: ParkingSettings,
        *,
        programmes: dict[str, tuple[Programme, RuleVersion | None]],
        inspectors: list[uuid.UUID],
    ) -> None:
        self.session = session
        self.rng = rng
        self.new_id = new_id
        self.inserts = inserts
        self.ledger = ledger
        self.year = year
        self.settings = settings
        self.programmes = programmes
        self.inspectors = inspectors
        self.timeline = Timeline(year.end)
        self.tally = Tally()
        self.keyring = Keyring(settings)
        self.judged: dict[tuple[str, tuple[tuple[str, object], ...]], Evaluation] = {}
        self.zones = {z.code: z for z in session.scalars(select(ParkingZone))}
        self.residential = sorted(
            c for c, z in self.zones.items() if z.kind == ZoneKind.residential
        )
        self.lots = sorted(c for c, z in self.zones.items() if z.kind == ZoneKind.lot)
        self._ranges: dict[uuid.UUID, list[ZoneStreetRange]] = defaultdict(list)
        codes = {z.id: z.code for z in self.zones.values()}
        self._zone_of_range: dict[uuid.UUID, str] = {}
        for r in session.scalars(select(ZoneStreetRange)):
            self._ranges[r.street_id].append(r)
            self._zone_of_range[r.id] = codes[r.zone_id]
        taken = set(session.scalars(select(Vehicle.plate)))
        self.plates = taken
        self.cars: list[Car] = []
        self.in_force: dict[uuid.UUID, int] = defaultdict(int)  # household: permits granted
        self.granted: list[tuple[Car, dict[str, Any]]] = []
        self.cancelled: list[tuple[Car, dict[str, Any]]] = []
        self.never_applied: list[Car] = []
        self.issuance: dict[str, uuid.UUID] = {}
        self.used_account = self._city_account(USED_MINUTES_PURPOSE)
        self.drivers: dict[uuid.UUID, Driver] = {}

    # --- where ---------------------------------------------------------------------------------

    def zone_of(self, person: Person) -> str | None:
        """The residential zone of an address, by the rule ``zone_for_address`` applies."""
        number = person.place.house_number
        covering = [
            r
            for r in self._ranges.get(person.place.street_id, [])
            if r.from_number <= number <= r.to_number
            and (r.parity == "all" or (number % 2 == 1) == (r.parity == "odd"))
        ]
        if not covering:
            return None
        best = min(
            covering, key=lambda r: (r.parity == "all", r.to_number - r.from_number, r.from_number)
        )
        code = self._zone_of_range[best.id]
        return code if code in self.residential else None

    def _city_account(self, purpose: str) -> uuid.UUID:
        found = self.session.scalar(
            select(Account.id).where(
                Account.owner_type == OwnerType.city.value,
                Account.owner_id.is_(None),
                Account.purpose == purpose,
                Account.unit == Unit.PARKING_MIN.value,
            )
        )
        if found is not None:
            self.ledger.adopt(self.session, [found])
            return found
        return self.ledger.open_account(
            owner_type=OwnerType.city,
            owner_id=None,
            purpose=purpose,
            unit=Unit.PARKING_MIN,
            at=self.year.start,
        )

    def issuance_of(self, programme: Programme) -> uuid.UUID:
        account = self.issuance.get(programme.code)
        if account is None:
            found = self.session.scalar(
                select(Account.id).where(
                    Account.owner_type == OwnerType.programme.value,
                    Account.owner_id == programme.id,
                    Account.purpose == ISSUANCE_PURPOSE,
                )
            )
            if found is not None:
                self.ledger.adopt(self.session, [found])
                account = found
            else:
                account = self.ledger.open_account(
                    owner_type=OwnerType.programme,
                    owner_id=programme.id,
                    purpose=ISSUANCE_PURPOSE,
                    unit=Unit.PARKING_MIN,
                    allow_negative=True,
                    at=self.year.start,
                )
            self.issuance[programme.code] = account
        return account

    def decide(
        self, code: str, person: Person, facts: dict[str, object], at: datetime
    ) -> tuple[uuid.UUID, bool]:
        """A stored decision of a programme on the facts (alike facts are judged once)."""
        programme, version = self.programmes[code]
        key = (code, tuple(sorted(facts.items(), key=lambda item: item[0])))
        evaluation = self.judged.get(key)
        if evaluation is None:
            evaluation = self.judged[key] = judge(programme, version, facts, at)
        decision_id = self.new_id()
        self.inserts.add(
            Decision,
            {
                "id": decision_id,
                "programme_id": programme.id,
                "rule_version_id": version.id if version is not None else None,
                "resident_id": person.id,
                "facts": evaluation.facts_used,
                "outcome": "eligible" if evaluation.eligible else "not_eligible",
                "reasons": [reason.as_json() for reason in evaluation.reasons],
                "decided_at": at,
                "appeal_id": None,
            },
        )
        return decision_id, evaluation.eligible
