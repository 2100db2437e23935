"""The year's inspections: inspectors check plates and scan passes in every zone, and every verdict
the scanner gives comes up. Inspections older than the retention period have lost their plate
(and pass id), as ``toshav parking anonymise`` leaves them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from parking.models import Inspection, InspectionMethod
from parking.offline import Reason
from resident_card.credentials.jws import new_jti
from toshav.year.parking_ground import Car, ParkingGround

# What inspectors come across, and how often.
SCENES = (
    (Reason.valid_permit, 52),
    (Reason.active_session, 12),
    (Reason.wrong_zone, 8),
    (Reason.no_permit, 8),
    (Reason.unknown_vehicle, 7),
    (Reason.revoked, 4),
    (Reason.bad_signature, 3),
    (Reason.malformed, 3),
    (Reason.not_a_pass, 3),
)
PASS_ONLY = {Reason.bad_signature, Reason.malformed, Reason.not_a_pass}


class Inspections(ParkingGround):
    """The inspectors' rounds."""

    def inspection_event(self) -> Callable[[datetime], None]:
        def event(at: datetime) -> None:
            scene = self.rng.choices([s for s, _ in SCENES], [w for _, w in SCENES])[0]
            if scene != Reason.active_session:
                self.inspect(scene, at)

        return event

    def inspect(
        self,
        scene: Reason,
        at: datetime,
        *,
        zone: str | None = None,
        car: Car | None = None,
    ) -> None:
        rng = self.rng
        plate: str | None = None
        pass_id: str | None = None
        if scene == Reason.valid_permit or scene == Reason.wrong_zone:
            if not self.granted:
                return
            car, permit = rng.choice(self.granted)
            if scene == Reason.valid_permit:
                zone = permit["zone"]
            else:
                others = [z for z in self.residential if z != permit["zone"]]
                if not others:
                    return
                zone = rng.choice(others)
            plate = car.plate
            if rng.random() < 0.6:
                pass_id = car.pass_ids.setdefault(permit["id"], new_jti())
        elif scene == Reason.active_session:
            assert car is not None
            plate = car.plate
        elif scene == Reason.no_permit:
            candidates = [c for c in self.never_applied[-200:] if c.registered_at <= at]
            if not candidates:
                return
            plate = rng.choice(candidates).plate
        elif scene == Reason.unknown_vehicle:
            while True:
                plate = str(rng.randrange(10**7, 10**8))
                if plate not in self.plates:
                    break
        elif scene == Reason.revoked:
            if not self.cancelled:
                return
            car, permit = rng.choice(self.cancelled)
            plate = car.plate
        zone = zone or rng.choice(self.residential)
        method = (
            InspectionMethod.scanned_pass
            if pass_id or scene in PASS_ONLY
            else InspectionMethod.plate
        )
        kept = timedelta(days=self.settings.parking_inspection_retention_days)
        retained = at >= self.year.now - kept
        # Drawn whether it is used or not: the moment a run starts must not change what follows.
        anonymised = at + kept + timedelta(hours=rng.uniform(1, 20))
        self.inserts.add(
            Inspection,
            {
                "id": self.new_id(),
                "created_at": at,
                "inspector_id": rng.choice(self.inspectors),
                "at": at,
                "method": method.value,
                "plate": plate if retained else None,
                "pass_id": pass_id if retained else None,
                "zone_code": zone,
                "latitude": None,
                "longitude": None,
                "allowed": scene in (Reason.valid_permit, Reason.active_session),
                "reason": scene.value,
                "anonymised_at": None if retained else min(anonymised, self.year.now),
            },
        )
        self.tally.inspections += 1
