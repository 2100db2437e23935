"""The year's free parking minutes: each month's allowances credited under a stored decision, as
``grant_allowance`` credits them, and what was left unused taken back when the month is over, as
``expire_allowance`` takes it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from benefits.eligibility.models import AllowanceGrant
from benefits.eligibility.service.allowances import Period
from benefits.ledger.models import OwnerType, Unit
from parking.service.parking_time import FREE_MINUTES_PROGRAMME
from toshav.year.parking_ground import Driver, ParkingGround
from toshav.year.people import Person

ALLOWANCES = (FREE_MINUTES_PROGRAMME, "senior_extra_parking")


class FreeMinutes(ParkingGround):
    """The drivers' free minutes, month by month."""

    def driver(self, person: Person) -> Driver:
        known = self.drivers.get(person.id)
        if known is None:
            known = self.drivers[person.id] = Driver(person)
        return known

    def grant_month(self, driver: Driver, at: datetime) -> None:
        """The month's free minutes for a driver (and extra minutes, when eligible)."""
        if at >= self.year.end:
            return
        person = driver.person
        facts: dict[str, object] = {
            "residency_status": "verified",
            "age": person.age(self.year.local_date(at)),
            "disability": person.disability,
        }
        self.grant(driver, self.year.months[self.year.index_of(at)], facts, at)

    def grant(self, driver: Driver, period: Period, facts: dict[str, object], at: datetime) -> None:
        """A period's allowances, once a period each, as ``grant_allowance`` credits them."""
        person = driver.person
        for code in ALLOWANCES:
            if (code, period.label) in driver.grants:
                continue
            programme, _ = self.programmes[code]
            read = {"residency_status": facts["residency_status"]}
            if code != FREE_MINUTES_PROGRAMME:
                read = facts
            decision_id, eligible = self.decide(code, person, read, at)
            if not eligible or programme.allowance_amount is None:
                continue
            account = driver.minutes.get(code)
            if account is None:
                account = driver.minutes[code] = self.ledger.open_account(
                    owner_type=OwnerType.resident,
                    owner_id=person.id,
                    purpose=code,
                    unit=Unit.PARKING_MIN,
                    at=at,
                )
            amount = programme.allowance_amount
            transaction_id = self.ledger.post(
                key=f"grant:{code}:{person.id}:{period.label}",
                kind="grant",
                postings=[(self.issuance_of(programme), -amount), (account, amount)],
                reference=f"decision:{decision_id}",
                metadata={"programme": code, "period": period.label},
                at=at,
            )
            driver.grants[(code, period.label)] = {
                "id": self.new_id(),
                "created_at": at,
                "programme_id": programme.id,
                "resident_id": person.id,
                "period": period.label,
                "amount": amount,
                "unit": Unit.PARKING_MIN.value,
                "decision_id": decision_id,
                "transaction_id": transaction_id,
                "expired_amount": None,
                "expiry_transaction_id": None,
                "expired_at": None,
            }
            self.tally.grants += 1

    def grants_event(self, index: int) -> Callable[[datetime], None]:
        def event(at: datetime) -> None:
            for driver in list(self.drivers.values()):
                self.grant_month(driver, at + timedelta(seconds=self.rng.uniform(0, 3600)))

        return event

    def expiry_event(self, month: Period) -> Callable[[datetime], None]:
        def event(at: datetime) -> None:
            for driver in self.drivers.values():
                for code in ALLOWANCES:
                    grant = driver.grants.pop((code, month.label), None)
                    if grant is None:
                        continue
                    account = driver.minutes[code]
                    left = max(0, min(grant["amount"], self.ledger.available(account)))
                    if left:
                        grant["expiry_transaction_id"] = self.ledger.post(
                            key=f"expire:{code}:{driver.person.id}:{month.label}",
                            kind="expiry",
                            postings=[(account, -left), (self.issuance[code], left)],
                            reference=f"decision:{grant['decision_id']}",
                            metadata={"programme": code, "period": month.label},
                            effective_at=month.last_moment,
                            at=at,
                        )
                    grant.update(expired_amount=left, expired_at=at)
                    self.inserts.add(AllowanceGrant, grant)

        return event

    def write_open_grants(self) -> None:
        """The grants of months not over yet (none, for a year of whole months)."""
        for driver in self.drivers.values():
            for grant in driver.grants.values():
                self.inserts.add(AllowanceGrant, grant)
            driver.grants.clear()
