"""Every query of parking: zones, vehicles, permits, passes, sessions and inspections, and the
open data's sums; the dashboard's statistics are in ``statistics``."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from figures.window import Window
from parking.models import (
    Inspection,
    ParkingPass,
    ParkingSession,
    ParkingZone,
    Permit,
    PermitStatus,
    Vehicle,
    ZoneStreetRange,
)
from resident_card.city.models import Street
from resident_card.city.repository import neighbourhood_code_at
from resident_card.residents.models import Household, Resident


class PlatePermit(NamedTuple):
    status: str
    valid_from: datetime | None
    valid_to: datetime | None
    zone: str | None


class ZoneRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: ParkingZone | ZoneStreetRange) -> None:
        self.session.add(row)
        self.session.flush()

    def delete_range(self, row: ZoneStreetRange) -> None:
        self.session.delete(row)
        self.session.flush()

    def every(self) -> Sequence[ParkingZone]:
        return self.session.scalars(select(ParkingZone).order_by(ParkingZone.code)).all()

    def by_code(self, code: str) -> ParkingZone | None:
        return self.session.scalar(select(ParkingZone).where(ParkingZone.code == code))

    def by_id(self, zone_id: uuid.UUID) -> ParkingZone | None:
        return self.session.get(ParkingZone, zone_id)

    def by_ids(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, ParkingZone]:
        if not ids:
            return {}
        rows = self.session.scalars(select(ParkingZone).where(ParkingZone.id.in_(ids)))
        return {row.id: row for row in rows}

    def ranges(self) -> Sequence[ZoneStreetRange]:
        return self.session.scalars(select(ZoneStreetRange)).all()

    def ranges_of(self, zone_id: uuid.UUID) -> Sequence[tuple[ZoneStreetRange, Street]]:
        rows = self.session.execute(
            select(ZoneStreetRange, Street)
            .join(Street, Street.id == ZoneStreetRange.street_id)
            .where(ZoneStreetRange.zone_id == zone_id)
            .order_by(Street.code, ZoneStreetRange.from_number)
        ).all()
        return [(row[0], row[1]) for row in rows]

    def ranges_covering(self, street_id: uuid.UUID, house_number: int) -> Sequence[ZoneStreetRange]:
        return self.session.scalars(
            select(ZoneStreetRange).where(
                ZoneStreetRange.street_id == street_id,
                ZoneStreetRange.from_number <= house_number,
                ZoneStreetRange.to_number >= house_number,
            )
        ).all()

    def zone_neighbourhoods(self) -> dict[str, str]:
        """Each zone's neighbourhood: the one that holds most of its street ranges' first houses."""
        rows = self.session.execute(
            select(
                ParkingZone.code,
                neighbourhood_code_at(
                    ZoneStreetRange.street_id.expression, ZoneStreetRange.from_number.expression
                ),
            ).join(ZoneStreetRange, ZoneStreetRange.zone_id == ParkingZone.id)
        ).all()
        tally: dict[str, Counter[str]] = {}
        for zone, neighbourhood in rows:
            if neighbourhood is not None:
                tally.setdefault(zone, Counter())[neighbourhood] += 1
        return {
            zone: min(counts, key=lambda code: (-counts[code], code))
            for zone, counts in tally.items()
        }


class VehicleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, vehicle: Vehicle) -> Vehicle:
        self.session.add(vehicle)
        self.session.flush()
        return vehicle

    def lock_household(self, household_id: uuid.UUID) -> None:
        """Take the household's row lock: its vehicles and permits change one request at a time."""
        self.session.execute(
            select(Household.id).where(Household.id == household_id).with_for_update()
        )

    def registered(self, plate: str) -> Vehicle | None:
        return self.session.scalar(
            select(Vehicle).where(Vehicle.plate == plate, Vehicle.removed_at.is_(None))
        )

    def is_registered(self, plate: str) -> bool:
        found = self.session.scalar(
            select(Vehicle.id).where(Vehicle.plate == plate, Vehicle.removed_at.is_(None)).limit(1)
        )
        return found is not None

    def of_household(self, household_id: uuid.UUID) -> Sequence[Vehicle]:
        return self.session.scalars(
            select(Vehicle)
            .join(Resident, Resident.id == Vehicle.resident_id)
            .where(Resident.household_id == household_id, Vehicle.removed_at.is_(None))
            .order_by(Vehicle.created_at, Vehicle.plate)
        ).all()

    def count_of_household(self, household_id: uuid.UUID) -> int:
        return int(
            self.session.scalar(
                select(func.count(Vehicle.id))
                .join(Resident, Resident.id == Vehicle.resident_id)
                .where(Resident.household_id == household_id, Vehicle.removed_at.is_(None))
            )
            or 0
        )

    def in_household(self, vehicle_id: uuid.UUID, household_id: uuid.UUID) -> Vehicle | None:
        return self.session.scalar(
            select(Vehicle)
            .join(Resident, Resident.id == Vehicle.resident_id)
            .where(
                Vehicle.id == vehicle_id,
                Resident.household_id == household_id,
                Vehicle.removed_at.is_(None),
            )
        )


class PermitRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, permit: Permit) -> Permit:
        self.session.add(permit)
        self.session.flush()
        return permit

    def of_resident(self, resident_id: uuid.UUID) -> Sequence[Permit]:
        return self.session.scalars(
            select(Permit)
            .where(Permit.resident_id == resident_id)
            .order_by(Permit.created_at.desc(), Permit.id)
        ).all()

    def of_residents(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[Permit]:
        if not resident_ids:
            return []
        return self.session.scalars(
            select(Permit)
            .where(Permit.resident_id.in_(resident_ids))
            .order_by(Permit.created_at.desc(), Permit.id)
        ).all()

    def get_for_update(self, permit_id: uuid.UUID) -> Permit | None:
        return self.session.scalar(select(Permit).where(Permit.id == permit_id).with_for_update())

    def by_ids(self, ids: set[uuid.UUID]) -> list[Permit]:
        if not ids:
            return []
        return list(self.session.scalars(select(Permit).where(Permit.id.in_(ids))))

    def get(self, permit_id: uuid.UUID) -> Permit | None:
        return self.session.get(Permit, permit_id)

    def in_force_of_resident(self, resident_id: uuid.UUID, now: datetime) -> Sequence[Permit]:
        return self.session.scalars(
            select(Permit)
            .where(
                Permit.resident_id == resident_id,
                Permit.status == PermitStatus.granted.value,
                Permit.valid_to > now,
            )
            .with_for_update()
        ).all()

    def in_force_of_vehicle(self, vehicle_id: uuid.UUID, now: datetime) -> Sequence[Permit]:
        return self.session.scalars(
            select(Permit).where(
                Permit.vehicle_id == vehicle_id,
                Permit.status == PermitStatus.granted.value,
                Permit.valid_to > now,
            )
        ).all()

    def in_force_count_of_household(self, household_id: uuid.UUID, now: datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count(Permit.id))
                .join(Resident, Resident.id == Permit.resident_id)
                .where(
                    Resident.household_id == household_id,
                    Permit.status == PermitStatus.granted.value,
                    Permit.valid_to > now,
                )
            )
            or 0
        )

    def of_plate(self, plate: str) -> Sequence[PlatePermit]:
        """Every permit ever granted for a plate, newest first: only what an inspection reads."""
        rows = self.session.execute(
            select(Permit.status, Permit.valid_from, Permit.valid_to, ParkingZone.code)
            .outerjoin(ParkingZone, ParkingZone.id == Permit.zone_id)
            .where(Permit.plate == plate, Permit.status != PermitStatus.refused.value)
            .order_by(Permit.valid_to.desc(), Permit.created_at.desc())
        ).all()
        return [PlatePermit(row[0], row[1], row[2], row[3]) for row in rows]

    def ending_between(
        self, now: datetime, until: datetime, *, after: uuid.UUID | None, limit: int
    ) -> Sequence[Permit]:
        """Permits in force at ``now`` that end by ``until``, by id from after ``after``."""
        query = select(Permit).where(
            Permit.status == PermitStatus.granted.value,
            Permit.valid_to > now,
            Permit.valid_to <= until,
        )
        if after is not None:
            query = query.where(Permit.id > after)
        return self.session.scalars(query.order_by(Permit.id).limit(limit)).all()

    def residents_with_permits_in_force(self, now: datetime) -> Sequence[uuid.UUID]:
        return self.session.scalars(
            select(Permit.resident_id)
            .where(Permit.status == PermitStatus.granted.value, Permit.valid_to > now)
            .distinct()
        ).all()


class PassRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, parking_pass: ParkingPass) -> ParkingPass:
        self.session.add(parking_pass)
        self.session.flush()
        return parking_pass

    def of_permits(self, permit_ids: set[uuid.UUID]) -> dict[uuid.UUID, ParkingPass]:
        """Each permit's pass: the one not revoked, else the newest (a pass may be re-issued)."""
        if not permit_ids:
            return {}
        rows = self.session.scalars(
            select(ParkingPass)
            .where(ParkingPass.permit_id.in_(permit_ids))
            .order_by(ParkingPass.revoked_at.is_(None), ParkingPass.created_at, ParkingPass.id)
        )
        return {row.permit_id: row for row in rows}

    def every_of_permits(self, permit_ids: set[uuid.UUID]) -> Sequence[ParkingPass]:
        """Every pass these permits were given, re-issued ones too, oldest first."""
        if not permit_ids:
            return []
        return self.session.scalars(
            select(ParkingPass)
            .where(ParkingPass.permit_id.in_(permit_ids))
            .order_by(ParkingPass.created_at, ParkingPass.id)
        ).all()

    def of_permit(self, permit_id: uuid.UUID) -> ParkingPass | None:
        """The permit's pass: the one not revoked, else the newest."""
        return self.session.scalar(
            select(ParkingPass)
            .where(ParkingPass.permit_id == permit_id)
            .order_by(
                ParkingPass.revoked_at.is_(None).desc(),
                ParkingPass.created_at.desc(),
                ParkingPass.id.desc(),
            )
            .limit(1)
        )

    def signed_by(self, kid: str, *, unexpired_at: datetime) -> Sequence[ParkingPass]:
        """The passes signed by the key ``kid`` that are neither revoked nor expired."""
        return self.session.scalars(
            select(ParkingPass)
            .where(
                ParkingPass.kid == kid,
                ParkingPass.revoked_at.is_(None),
                ParkingPass.expires_at > unexpired_at,
            )
            .order_by(ParkingPass.created_at, ParkingPass.id)
            .with_for_update()
        ).all()

    def count_signed_by(self, kid: str, *, unexpired_at: datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count(ParkingPass.id)).where(
                    ParkingPass.kid == kid,
                    ParkingPass.revoked_at.is_(None),
                    ParkingPass.expires_at > unexpired_at,
                )
            )
            or 0
        )

    def issued(self, *, unexpired_at: datetime, since: datetime | None = None) -> Sequence[str]:
        """The tokens of the passes that have not expired, made since ``since`` if given."""
        query = select(ParkingPass.token).where(ParkingPass.expires_at > unexpired_at)
        if since is not None:
            query = query.where(ParkingPass.created_at >= since)
        return self.session.scalars(query).all()

    def revoked(
        self, *, unexpired_at: datetime, since: datetime | None = None
    ) -> Sequence[tuple[str, datetime, datetime]]:
        """(pass id, revoked at, expires at) of revoked passes that have not expired, oldest first."""
        query = select(ParkingPass.pass_id, ParkingPass.revoked_at, ParkingPass.expires_at).where(
            ParkingPass.revoked_at.is_not(None), ParkingPass.expires_at > unexpired_at
        )
        if since is not None:
            query = query.where(ParkingPass.revoked_at >= since)
        rows = self.session.execute(
            query.order_by(ParkingPass.revoked_at, ParkingPass.pass_id)
        ).all()
        return [(row[0], row[1], row[2]) for row in rows if row[1] is not None]


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, parking_session: ParkingSession) -> ParkingSession:
        self.session.add(parking_session)
        self.session.flush()
        return parking_session

    def get_for_update(self, session_id: uuid.UUID) -> ParkingSession | None:
        return self.session.scalar(
            select(ParkingSession)
            .where(ParkingSession.id == session_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    def get(self, session_id: uuid.UUID) -> ParkingSession | None:
        return self.session.get(ParkingSession, session_id)

    def running_of_plate(self, plate: str) -> ParkingSession | None:
        return self.session.scalar(
            select(ParkingSession).where(
                ParkingSession.plate == plate, ParkingSession.stopped_at.is_(None)
            )
        )

    def zones_of_plate_at(self, plate: str, at: datetime) -> Sequence[str]:
        """The zones where a plate's parking sessions were running at a moment."""
        return self.session.scalars(
            select(ParkingZone.code)
            .select_from(ParkingSession)
            .join(ParkingZone, ParkingZone.id == ParkingSession.zone_id)
            .where(
                ParkingSession.plate == plate,
                ParkingSession.started_at <= at,
                or_(ParkingSession.stopped_at.is_(None), ParkingSession.stopped_at > at),
            )
        ).all()

    def of_resident(self, resident_id: uuid.UUID, *, limit: int) -> Sequence[ParkingSession]:
        return self.session.scalars(
            select(ParkingSession)
            .where(ParkingSession.resident_id == resident_id)
            .order_by(ParkingSession.started_at.desc(), ParkingSession.id)
            .limit(limit)
        ).all()


_INSPECTION_COLUMNS = (
    "id",
    "inspector_id",
    "at",
    "method",
    "plate",
    "pass_id",
    "zone_code",
    "latitude",
    "longitude",
    "allowed",
    "reason",
    "created_at",
)


class InspectionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, inspection: Inspection) -> None:
        # No flush: the request's commit writes it, with nothing else to wait for.
        self.session.add(inspection)

    def add_many(self, records: Sequence[dict[str, Any]]) -> None:
        """Many inspections, each a dict of every column: on PostgreSQL in one ``COPY`` (psycopg
        writes the rows out in C, several times cheaper a row than a multi-row INSERT built in
        Python, and the scans' writer shares the process with them); elsewhere one INSERT of the
        table (no ORM objects are made)."""
        connection = self.session.connection()
        if connection.dialect.name != "postgresql":
            self.session.execute(insert(cast(Table, Inspection.__table__)), list(records))
            return
        rows = []
        for record in records:
            for moment in (record["at"], record["created_at"]):
                if moment.tzinfo is None:  # as UTCDateTime refuses it
                    raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
            rows.append(tuple(record[column] for column in _INSPECTION_COLUMNS))
        driver = connection.connection.driver_connection
        assert driver is not None
        columns = ", ".join(_INSPECTION_COLUMNS)
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {Inspection.__tablename__} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def recent(
        self, *, limit: int, offset: int, inspector_id: uuid.UUID | None
    ) -> Sequence[Inspection]:
        query = select(Inspection)
        if inspector_id is not None:
            query = query.where(Inspection.inspector_id == inspector_id)
        return self.session.scalars(
            query.order_by(Inspection.at.desc(), Inspection.id).limit(limit).offset(offset)
        ).all()

    def anonymise_before(self, cutoff: datetime, now: datetime) -> int:
        result = self.session.execute(
            update(Inspection)
            .where(
                Inspection.at < cutoff,
                or_(Inspection.plate.is_not(None), Inspection.pass_id.is_not(None)),
            )
            .values(plate=None, pass_id=None, anonymised_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def with_plate_before(self, cutoff: datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count(Inspection.id)).where(
                    and_(Inspection.at < cutoff, Inspection.plate.is_not(None))
                )
            )
            or 0
        )


def _at(addresses: Subquery, resident: type[Resident]) -> ColumnElement[bool]:
    return and_(
        addresses.c.street_id == resident.street_id,
        addresses.c.house_number == resident.house_number,
    )


class OpenDataRepository:
    """The open data's parking figures: each group's sum and its distinct people, by neighbourhood
    (or over the city) and city month, leaving out what no neighbourhood holds."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _grouped(
        self, found: Subquery, *, by_neighbourhood: bool
    ) -> list[tuple[str | None, str, int, int]]:
        place: ColumnElement[Any] = found.c.place if by_neighbourhood else literal_column("NULL")
        rows = self.session.execute(
            select(
                place,
                found.c.month,
                func.coalesce(func.sum(found.c.value), 0),
                func.count(found.c.person.distinct()),
            )
            .where(found.c.place.is_not(None))
            .group_by(*((found.c.place,) if by_neighbourhood else ()), found.c.month)
        ).all()
        return [(n, m, int(value), int(people)) for n, m, value, people in rows]

    @staticmethod
    def _addresses() -> Subquery:
        """Each address residents live at, with its neighbourhood's code: the city's ranges are
        read once per address rather than once per permit or session."""
        found = select(Resident.street_id, Resident.house_number).distinct().subquery()
        return select(
            found.c.street_id,
            found.c.house_number,
            neighbourhood_code_at(found.c.street_id, found.c.house_number).label("code"),
        ).subquery()

    def permits_issued(
        self, window: Window, *, by_neighbourhood: bool
    ) -> list[tuple[str | None, str, int, int]]:
        """Permits granted, in the month they began, at their holder's address."""
        addresses = self._addresses()
        inner = (
            select(
                addresses.c.code.label("place"),
                window.month_of(Permit.valid_from.expression),
                literal(1).label("value"),
                Permit.resident_id.label("person"),
            )
            .join(Resident, Resident.id == Permit.resident_id)
            .join(addresses, _at(addresses, Resident))
            .where(
                Permit.status != PermitStatus.refused.value,
                window.holds(Permit.valid_from.expression),
            )
        )
        return self._grouped(inner.subquery(), by_neighbourhood=by_neighbourhood)

    def free_minutes_used(
        self, window: Window, *, by_neighbourhood: bool
    ) -> list[tuple[str | None, str, int, int]]:
        """Free minutes taken by stopped sessions, in the month they started, at the resident's
        address; only sessions that took some count (their residents are the people)."""
        addresses = self._addresses()
        inner = (
            select(
                addresses.c.code.label("place"),
                window.month_of(ParkingSession.started_at.expression),
                ParkingSession.free_minutes.label("value"),
                ParkingSession.resident_id.label("person"),
            )
            .join(Resident, Resident.id == ParkingSession.resident_id)
            .join(addresses, _at(addresses, Resident))
            .where(
                ParkingSession.free_minutes > 0, window.holds(ParkingSession.started_at.expression)
            )
        )
        return self._grouped(inner.subquery(), by_neighbourhood=by_neighbourhood)

    def inspections(
        self, window: Window, zones: dict[str, str], *, by_neighbourhood: bool
    ) -> list[tuple[str | None, str, int, int]]:
        """Inspections, in the month made, in their zone's neighbourhood; their people are the
        distinct plates (an anonymised inspection has none: its row has fewer people, not more)."""
        place: ColumnElement[Any] = (
            case(zones, value=Inspection.zone_code, else_=None)
            if zones
            else literal(None, String())
        )
        inner = select(
            place.label("place"),
            window.month_of(Inspection.at.expression),
            literal(1).label("value"),
            Inspection.plate.label("person"),
        ).where(window.holds(Inspection.at.expression))
        return self._grouped(inner.subquery(), by_neighbourhood=by_neighbourhood)
