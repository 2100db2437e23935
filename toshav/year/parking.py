"""The year's parking, played in time order: vehicles, permits, free minutes, sessions, inspections.

Households register their cars a little after they enrol; a car whose household lives in a
residential zone applies for a permit, decided by the permit programme (two at most a household:
a third is refused), with its signed pass; a few are cancelled. The drivers get the month's free
minutes (and the extra minutes, when 67 or over, or with a disability) under a stored decision,
park in other zones and in the car parks (free minutes first, the rest paid), and what they left
unused expires when the month ends. Inspectors check plates and scan passes in every zone; every
verdict the scanner gives comes up. Inspections older than the retention period have lost their
plate, as ``toshav parking anonymise`` leaves them.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from benefits.eligibility.service.allowances import parse_period
from kernel.i18n import Named
from parking.models import (
    ParkingPass,
    ParkingSession,
    Permit,
    PermitEnd,
    PermitStatus,
    Vehicle,
    VehicleRelation,
)
from parking.offline import Reason
from parking.service.calendar import one_year_on
from parking.service.parking_time import FREE_MINUTES_PROGRAMME
from resident_card.credentials.jws import new_jti, token_kid
from toshav.year.calendar import PARKING_SEASON, moment_in, poisson
from toshav.year.inspections import Inspections
from toshav.year.minutes import FreeMinutes
from toshav.year.parking_ground import Car, Tally
from toshav.year.people import Person

NewId = Callable[[], uuid.UUID]
PERMIT_PROGRAMME = "resident_parking_permit"
PERMITS_PER_HOUSEHOLD = 2


class ParkingYear(FreeMinutes, Inspections):
    """Plays the year's parking in time order and writes it."""

    # --- the plan ------------------------------------------------------------------------------

    def plan(self, people: list[Person], scale: int) -> None:
        rng = self.rng
        households: dict[uuid.UUID, list[Person]] = defaultdict(list)
        for person in people:
            households[person.household_id].append(person)
        today = self.year.local_date(self.year.now)
        for number, members in enumerate(households.values()):
            adults = [p for p in members if p.verified_at is not None and p.age(today) >= 18]
            # The first households (one enrolled in each month) all drive: a small city parks
            # every month too.
            if not adults or (number >= len(self.year.months) and rng.random() > 0.55):
                continue
            count = rng.choices((1, 2, 3), (70, 25, 5))[0]
            for _ in range(count):
                driver = rng.choice(adults)
                assert driver.verified_at is not None
                since = max(driver.verified_at, self.year.start)
                at = since + timedelta(days=rng.expovariate(1 / 15))
                self.timeline.schedule(at, self._register_event(driver))
        for month in self.year.months:
            season = PARKING_SEASON[int(month.label[5:])]
            for _ in range(int(scale * 0.09 * season) + 3):
                seen = moment_in(rng, self.year, month.start, month.end, hours=(7, 20))
                if seen is not None:
                    self.timeline.schedule(seen, self.inspection_event())
        for index, month in enumerate(self.year.months):
            following = (
                self.year.months[index + 1].start if index + 1 < len(self.year.months) else None
            )
            self.timeline.schedule(
                month.end + timedelta(minutes=30),
                self.expiry_event(month),
                until=self.year.now,
            )
            if following is not None:
                self.timeline.schedule(following + timedelta(hours=1), self.grants_event(index + 1))

    def this_month(self, people: list[Person]) -> None:
        """This month's run of the allowances, an hour into it: every verified resident gets the
        free minutes (and the extra ones when eligible); the others' refusals are stored, as the
        monthly run stores them (so the demo's own run for this month finds nothing to do)."""
        label = self.year.now.astimezone(self.year.zone).strftime("%Y-%m")
        period = parse_period(label, self.year.zone)
        at = period.start + timedelta(hours=1)
        if at >= self.year.now:
            return

        def event(when: datetime) -> None:
            # Ages as the demo's own run reads them today, so its run stores no refusal twice.
            on = self.year.local_date(self.year.now)
            for person in people:
                verified = person.verified_at is not None and person.verified_at < when
                facts: dict[str, object] = {
                    "residency_status": "verified" if verified else "pending",
                    "age": person.age(on),
                    "disability": person.disability,
                }
                self.grant(self.driver(person), period, facts, when)

        self.timeline.schedule(at, event, until=self.year.now)

    def play(self, tick: Callable[[int], None]) -> Tally:
        self.timeline.play(tick)
        for car in self.cars:
            for permit in car.permits:
                self._write_permit(car, permit)
        return self.tally

    # --- vehicles and permits ------------------------------------------------------------------

    def _register_event(self, driver: Person) -> Callable[[datetime], None]:
        def event(at: datetime) -> None:
            self._register(driver, at)

        return event

    def _register(self, driver: Person, at: datetime) -> None:
        rng = self.rng
        while True:
            plate = str(
                rng.randrange(10**6, 10**7) if rng.random() < 0.3 else rng.randrange(10**7, 10**8)
            )
            plate = plate.zfill(7)
            if plate not in self.plates:
                self.plates.add(plate)
                break
        car = Car(self.new_id(), plate, driver, at)
        self.inserts.add(
            Vehicle,
            {
                "id": car.id,
                "created_at": at,
                "plate": plate,
                "resident_id": driver.id,
                "relation": (
                    VehicleRelation.owner if rng.random() < 0.85 else VehicleRelation.user
                ).value,
                "removed_at": None,
            },
        )
        self.cars.append(car)
        self.tally.vehicles += 1
        self.grant_month(self.driver(driver), at)
        zone = self.zone_of(driver)
        if zone is not None and rng.random() < 0.85:
            self._apply(car, zone, at + timedelta(hours=rng.uniform(0.1, 48)))
        elif zone is None and rng.random() < 0.05:
            self._apply(car, None, at + timedelta(hours=rng.uniform(0.1, 48)))
        else:
            self.never_applied.append(car)
        for month in self.year.months:
            if month.end <= at:
                continue
            season = PARKING_SEASON[int(month.label[5:])]
            for _ in range(poisson(rng, 0.8 * season)):
                start = moment_in(rng, self.year, max(month.start, at), month.end, hours=(7, 22))
                if start is not None:
                    self.timeline.schedule(start, self._session_event(car))

    def _apply(self, car: Car, zone: str | None, at: datetime) -> None:
        if at >= self.year.end:
            return
        person = car.driver
        household = person.household_id
        facts: dict[str, object] = {
            "residency_status": "verified",
            "parking_zone": Named(zone, self.zones[zone].names) if zone else None,
            "vehicle_in_household": True,
            "household_parking_permits": self.in_force[household],
        }
        decision_id, eligible = self.decide(PERMIT_PROGRAMME, person, facts, at)
        granted = eligible and zone is not None
        permit: dict[str, Any] = {
            "id": self.new_id(),
            "created_at": at,
            "resident_id": person.id,
            "vehicle_id": car.id,
            "plate": car.plate,
            "zone_id": self.zones[zone].id if zone else None,
            "status": (PermitStatus.granted if granted else PermitStatus.refused).value,
            "decision_id": decision_id,
            "valid_from": at if granted else None,
            "valid_to": one_year_on(at, self.settings) if granted else None,
            "ended_at": None,
            "end_reason": None,
            "zone": zone,
        }
        car.permits.append(permit)
        if not granted:
            self.tally.refused += 1
            return
        self.tally.permits += 1
        self.in_force[household] += 1
        self.granted.append((car, permit))
        if self.rng.random() < 0.04:
            ends = at + timedelta(days=self.rng.uniform(10, 200))
            if ends < self.year.end:
                self.timeline.schedule(ends, lambda when: self._cancel(car, permit, when))

    def _cancel(self, car: Car, permit: dict[str, Any], at: datetime) -> None:
        permit.update(
            status=PermitStatus.cancelled.value, ended_at=at, end_reason=PermitEnd.cancelled.value
        )
        self.in_force[car.driver.household_id] -= 1
        self.granted.remove((car, permit))
        self.cancelled.append((car, permit))

    def _write_permit(self, car: Car, permit: dict[str, Any]) -> None:
        zone = permit.pop("zone")
        self.inserts.add(Permit, permit)
        if permit["status"] == PermitStatus.refused.value:
            return
        pass_id = car.pass_ids.get(permit["id"]) or new_jti()
        # Signed now, with the key that signs now (as a re-issue after a rotation would be).
        token = self.keyring.sign(
            self.session,
            {"sub": pass_id, "jti": pass_id, "plate": permit["plate"], "zone": zone},
            audience=self.settings.parking_pass_audience,
            now=self.year.now,
            expires_at=permit["valid_to"],
        )
        cancelled = permit["status"] == PermitStatus.cancelled.value
        self.inserts.add(
            ParkingPass,
            {
                "id": self.new_id(),
                "created_at": permit["valid_from"],
                "pass_id": pass_id,
                "permit_id": permit["id"],
                "plate": permit["plate"],
                "zone_code": zone,
                "token": token,
                "kid": token_kid(token) or "",
                "expires_at": permit["valid_to"],
                "revoked_at": permit["ended_at"] if cancelled else None,
                "revoked_reason": PermitEnd.cancelled.value if cancelled else None,
            },
        )

    # --- parking sessions ----------------------------------------------------------------------

    def _session_event(self, car: Car) -> Callable[[datetime], None]:
        def event(at: datetime) -> None:
            self._park(car, at)

        return event

    def _park(self, car: Car, at: datetime) -> None:
        rng = self.rng
        own = self.zone_of(car.driver)
        places = [z for z in self.residential if z != own] or self.residential
        zone = rng.choice(self.lots) if self.lots and rng.random() < 0.3 else rng.choice(places)
        minutes = max(5, min(300, int(rng.lognormvariate(math.log(70), 0.6))))
        stop = at + timedelta(minutes=minutes, seconds=rng.randrange(-50, 0))
        if stop >= self.year.end:
            return
        row: dict[str, Any] = {
            "id": self.new_id(),
            "created_at": at,
            "resident_id": car.driver.id,
            "vehicle_id": car.id,
            "plate": car.plate,
            "zone_id": self.zones[zone].id,
            "started_at": at,
            "stopped_at": None,
            "minutes": None,
            "free_minutes": None,
            "paid_minutes": None,
            "transaction_id": None,
        }
        self.timeline.schedule(stop, lambda when: self._stop(car, row, when))
        if zone in self.residential and rng.random() < 0.25:
            seen = at + (stop - at) * rng.uniform(0.1, 0.9)
            self.timeline.schedule(
                seen,
                lambda when: self.inspect(Reason.active_session, when, zone=zone, car=car),
            )

    def _stop(self, car: Car, row: dict[str, Any], at: datetime) -> None:
        minutes = max(0, math.ceil((at - row["started_at"]).total_seconds() / 60))
        driver = self.drivers.get(car.driver.id)
        postings: list[tuple[uuid.UUID, int]] = []
        taken = 0
        if driver is not None:
            for code in sorted(driver.minutes, key=lambda c: (c != FREE_MINUTES_PROGRAMME, c)):
                account = driver.minutes[code]
                take = min(self.ledger.available(account), minutes - taken)
                if take > 0:
                    postings.append((account, -take))
                    taken += take
                if taken == minutes:
                    break
        if taken:
            row["transaction_id"] = self.ledger.post(
                key=f"parking-session:{row['id']}",
                kind="parking",
                postings=[*postings, (self.used_account, taken)],
                reference=f"parking_session:{row['id']}",
                metadata={"minutes": minutes, "paid_minutes": minutes - taken},
                at=at,
            )
        row.update(stopped_at=at, minutes=minutes, free_minutes=taken, paid_minutes=minutes - taken)
        self.inserts.add(ParkingSession, row)
        self.tally.sessions += 1
