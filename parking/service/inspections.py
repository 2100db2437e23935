"""Inspections: a scanned pass judged from this process's memory (``InspectionCache``), a typed
plate looked up, every inspection recorded in batches off the request path (``InspectionLog``),
and plates dropped from old records."""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from kernel.changes.feed import ChangeFeed, Counters, read_counters
from kernel.metrics import count_when_committed
from parking.exceptions import (
    InspectionTimeOutOfRange,
    PlaceOutsideZones,
    UnknownZone,
)
from parking.metrics import INSPECTIONS
from parking.models import (
    Inspection,
    InspectionMethod,
    PermitStatus,
)
from parking.offline import Reason, Verdict, judge_pass, verdict, zone_at
from parking.repository import (
    InspectionRepository,
    PassRepository,
    PermitRepository,
    SessionRepository,
    VehicleRepository,
)
from parking.service.vehicles import parse_plate
from parking.service.zones import list_zones
from parking.settings import ParkingSettings
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import CheckedSignatures

MAX_INSPECTION_AGE = timedelta(days=7)
INSPECTION_CLOCK_SKEW = timedelta(minutes=5)
# Passes made up to this long before the last look for them are read again: a transaction that
# made one may commit a moment after it stamped it.
ISSUED_LATE_MARGIN = timedelta(seconds=30)

logger = logging.getLogger("toshav.parking")


# --- inspection ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Zones:
    codes: frozenset[str]
    outlines: tuple[tuple[str, dict[str, Any] | None], ...]


@dataclass(frozen=True)
class Keys:
    """The published keys (a JWKS) and the kids of the retired ones."""

    jwks: Mapping[str, Any]
    retired: frozenset[str]


def _load_revocations(session: Session, now: datetime) -> Mapping[str, datetime]:
    # Passes that expired a day ago fail on their expiry anyway.
    rows = PassRepository(session).revoked(unexpired_at=now - timedelta(days=1))
    return {pass_id: revoked_at for pass_id, revoked_at, _ in rows}


def _load_keys(session: Session, now: datetime) -> Keys:
    return Keys(credentials.published_jwks(session), credentials.retired_kids(session))


def _load_zones(session: Session, now: datetime) -> Zones:
    every = list_zones(session)
    return Zones(frozenset(z.code for z in every), tuple((z.code, z.geometry) for z in every))


# Each piece of what judging a pass needs: the topic whose changes make it stale, and its loader.
_PIECES: dict[str, tuple[str, Callable[[Session, datetime], Any]]] = {
    "revocations": ("parking", _load_revocations),
    "keys": ("credentials", _load_keys),
    "zones": ("parking", _load_zones),
}


class InspectionCache:
    """What judging a pass needs (revoked passes, keys, zones), held in this process's memory, and
    never answering for the database past a bound.

    The rule: a scan that arrives at moment ``t`` is judged from data that holds every change
    committed (by any process) before ``t - bound``. A piece read under the feed's counters ``c``
    is used while the feed knows every change up to ``t - bound`` and its counters are still ``c``
    (``fresh``). Otherwise the scan catches the feed up (one read of the counters, or, on
    PostgreSQL, nothing: the listener keeps it current) and, if the counters moved, reloads the
    piece; while one thread reloads a piece, the others that need it wait for that reload rather
    than answer from what was there. So a revoked pass, a retired key or a changed zone is refused
    by every scan from ``bound`` seconds after its commit on, however many scans arrive.
    """

    def __init__(self, feed: ChangeFeed, *, bound: float) -> None:
        self.feed = feed
        self.bound = bound
        self._held: dict[str, tuple[Counters, Any]] = {}
        self._loading = {name: threading.Lock() for name in _PIECES}
        # Passes whose signature checked out against the keys held here: a pass scanned again (a
        # resident's yearly pass is, on every round) skips the ES256 check; revocation, expiry and
        # zone are judged anew each time.
        self.checked = CheckedSignatures()
        # The passes this city issued are vouched for in ``checked`` (see ``vouch_for_issued``).
        self.issued_every = 5.0
        self.issued_afresh_every = 3600.0
        self._issued: tuple[float, float, datetime] | None = None  # looked, read whole, ``now``
        self._vouching = threading.Lock()

    def fresh(self, name: str, moment: float) -> Any | None:
        """The piece if it holds every change committed before ``moment - bound``; else None.
        Never waits and never reads the database."""
        if self.feed.known_through() < moment - self.bound:
            return None
        held = self._held.get(name)
        if held is None or held[0] != self.feed.counters(_PIECES[name][0]):
            return None
        return held[1]

    def catch_up(self, session: Session, moment: float) -> None:
        """Count every change committed before ``moment - bound`` (reading the counters in
        ``session`` unless they are known)."""
        self.feed.catch_up(
            moment - self.bound, partial(read_counters, session), wait=not session.in_transaction()
        )

    def piece(self, session: Session, name: str, moment: float, now: datetime) -> Any:
        """The piece as ``fresh`` would give it, catching the feed up and reloading it if need be.

        One thread reloads a piece while the others that need it wait for that reload; a thread
        whose session holds a transaction reads it itself instead (on SQLite that transaction
        holds the write lock the reloading thread's read may be waiting for)."""
        self.catch_up(session, moment)
        found = self.fresh(name, moment)
        if found is not None:
            return found
        topic, load = _PIECES[name]
        loading = self._loading[name]
        held = loading.acquire(blocking=not session.in_transaction())
        try:
            found = self.fresh(name, moment)  # reloaded while this thread waited
            if found is not None:
                return found
            counters = self.feed.counters(topic)  # before the read: a change after it reloads
            loaded = load(session, now)
            self._held[name] = (counters, loaded)
            return loaded
        finally:
            if held:
                loading.release()

    def vouch_for_issued(self, session: Session, *, now: datetime) -> None:
        """Vouch for the unexpired passes this city issued (``CheckedSignatures.vouch``): the city
        stored each as it signed it, so a scanned pass that is one of them needs no signature
        check, even the first time it is met. One not read yet (issued a moment ago, perhaps by
        another process) is checked as any other: this only ever spares work, never changes a
        verdict.

        Passes made since the last look (less a margin, for transactions committed late) are read
        every ``issued_every`` seconds; all of them afresh every ``issued_afresh_every``, which
        lets the expired ones go. One thread reads at a time; the others go on without waiting.
        """
        moment = self.feed.clock()
        current = self._issued
        if current is not None and moment - current[0] < self.issued_every:
            return
        if not self._vouching.acquire(blocking=False):
            return
        try:
            afresh = current is None or moment - current[1] >= self.issued_afresh_every
            since = None if current is None or afresh else current[2] - ISSUED_LATE_MARGIN
            rows = PassRepository(session).issued(unexpired_at=now, since=since)
            self.checked.vouch(rows, afresh=afresh)
            self._issued = (moment, moment if current is None or afresh else current[1], now)
        finally:
            self._vouching.release()


class InspectionLog:
    """Inspections waiting to be written, written in batches off the request path.

    ``add`` queues a record and returns: the inspector has the verdict at once, and no request
    waits for an INSERT and its commit. Once ``start``ed, a writer thread hands what waits to
    ``write`` (which writes the records in one statement and commits) every ``interval`` seconds,
    at once when ``batch`` records wait; ``flush`` writes what waits now, and ``stop`` stops the
    writer and flushes. A write that fails leaves its records queued for the next one. What a crash
    of the process can lose is the records of its last ``interval``.
    """

    def __init__(
        self,
        write: Callable[[list[dict[str, Any]]], None],
        *,
        interval: float = 0.25,
        batch: int = 500,
    ) -> None:
        self._write = write
        self._interval = interval
        self._batch = batch
        self._waiting: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name="parking-inspection-log", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the writer and write what waits."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

    def add(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._waiting.append(record)
            waiting = len(self._waiting)
        # Once: every scan setting it again while the writer is busy would take the event's lock
        # (the writer's, while it waits) on every request.
        if waiting >= self._batch and not self._wake.is_set():
            self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._waiting)

    def flush(self) -> int:
        """Write every record waiting now; how many were written."""
        with self._write_lock:
            with self._lock:
                records, self._waiting = self._waiting, []
            if not records:
                return 0
            try:
                self._write(records)
            except Exception:
                with self._lock:
                    self._waiting[:0] = records
                raise
            return len(records)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("inspections could not be written; they wait for the next try")


@dataclass
class InspectionDesk:
    """Parking's part of a process's runtime: the inspection cache, and where records go."""

    cache: InspectionCache
    log: InspectionLog
    # 0 seconds between writes: each inspection is written (and committed) before its answer.
    writes_at_once: bool


def record_inspections(session: Session, records: Sequence[dict[str, Any]]) -> None:
    """Write inspections queued by an ``InspectionLog``, in one multi-row INSERT, each with a new
    random id (the batch's ids read from the system's randomness at once, not one call each)."""
    randomness = os.urandom(16 * len(records))
    rows = [
        {**record, "id": uuid.UUID(bytes=randomness[16 * i : 16 * i + 16], version=4)}
        for i, record in enumerate(records)
    ]
    InspectionRepository(session).add_many(rows)
    for (method, reason), count in Counter((r["method"], r["reason"]) for r in records).items():
        count_when_committed(session, INSPECTIONS.labels(method, reason), count)


@dataclass(frozen=True)
class InspectionRequest:
    pass_token: str | None
    plate: str | None
    zone: str | None
    latitude: float | None
    longitude: float | None
    at: datetime | None


def _zone_of(zones: Zones, request: InspectionRequest) -> str | None:
    """The zone the inspection is made in: the one named, or the one whose outline holds the point."""
    if request.zone is not None:
        if request.zone not in zones.codes:
            raise UnknownZone(zone=request.zone[:32])
        return request.zone
    if request.latitude is not None and request.longitude is not None:
        found = zone_at(zones.outlines, request.longitude, request.latitude)
        if found is None:
            raise PlaceOutsideZones()
        return found
    return None


def _inspected_at(request: InspectionRequest, now: datetime) -> datetime:
    at = request.at or now
    if not now - MAX_INSPECTION_AGE <= at <= now + INSPECTION_CLOCK_SKEW:
        raise InspectionTimeOutOfRange()
    return at


@dataclass(frozen=True)
class Judged:
    """An inspection's verdict, and the zone and moment it was made for."""

    verdict: Verdict
    zone: str | None
    at: datetime


def judge_plate(session: Session, plate: str, zone: str, *, at: datetime) -> Verdict:
    """May this plate park in this zone at this moment: a permit there, or a parking session?

    One query when a permit for the zone is in force (the usual case); more only to say why not.
    """
    permits = PermitRepository(session).of_plate(plate)
    in_force = [
        permit
        for permit in permits
        if permit.status == PermitStatus.granted
        and permit.valid_from is not None
        and permit.valid_to is not None
        and permit.valid_from <= at < permit.valid_to
    ]
    for permit in in_force:
        if permit.zone == zone:
            return verdict(Reason.valid_permit, zone=zone, valid_until=permit.valid_to, plate=plate)
    parked_in = SessionRepository(session).zones_of_plate_at(plate, at)
    if zone in parked_in:
        return verdict(Reason.active_session, zone=zone, plate=plate)
    if in_force:
        return verdict(
            Reason.wrong_zone, zone=in_force[0].zone, valid_until=in_force[0].valid_to, plate=plate
        )
    if parked_in:
        return verdict(Reason.wrong_zone, zone=parked_in[0], plate=plate)
    if permits:
        latest = permits[0]
        if latest.status in (PermitStatus.cancelled, PermitStatus.ended):
            return verdict(
                Reason.revoked, zone=latest.zone, valid_until=latest.valid_to, plate=plate
            )
        if latest.valid_to is not None and latest.valid_to <= at:
            return verdict(
                Reason.expired, zone=latest.zone, valid_until=latest.valid_to, plate=plate
            )
    if VehicleRepository(session).is_registered(plate):
        return verdict(Reason.no_permit, plate=plate)
    return verdict(Reason.unknown_vehicle, plate=plate)


def _judge_scanned(
    request: InspectionRequest,
    settings: ParkingSettings,
    cache: InspectionCache,
    *,
    at: datetime,
    zone: str | None,
    keys: Keys,
    revoked: Mapping[str, datetime],
) -> Verdict:
    assert request.pass_token is not None
    return judge_pass(
        request.pass_token,
        jwks=keys.jwks,
        revoked=revoked,
        audience=settings.parking_pass_audience,
        at=at,
        zone=zone,
        leeway=settings.credential_leeway_seconds,
        checked=cache.checked,
        retired_kids=keys.retired,
    )


def inspect_in_memory(
    settings: ParkingSettings,
    cache: InspectionCache,
    request: InspectionRequest,
    *,
    now: datetime,
    moment: float,
) -> Judged | None:
    """A scanned pass judged from what ``cache`` holds fresh for ``moment``, touching no database
    and never waiting; None when it cannot be (a typed plate, or a piece that is not fresh): then
    ``inspect``, which gives the same verdict from the same kind of data read afresh.
    Bad input is refused here as there."""
    if request.pass_token is None:
        return None
    at = _inspected_at(request, now)
    keys, revoked = cache.fresh("keys", moment), cache.fresh("revocations", moment)
    if keys is None or revoked is None:
        return None
    zone = request.zone
    if zone is not None or (request.latitude is not None and request.longitude is not None):
        zones = cache.fresh("zones", moment)
        if zones is None:
            return None
        zone = _zone_of(zones, request)
    found = _judge_scanned(request, settings, cache, at=at, zone=zone, keys=keys, revoked=revoked)
    return Judged(found, zone, at)


def inspect(
    session: Session,
    settings: ParkingSettings,
    cache: InspectionCache,
    request: InspectionRequest,
    *,
    now: datetime,
    moment: float,
) -> Judged:
    """Judge a scanned pass or a typed plate at a place.

    A pass is judged from the inspection cache's pieces, fresh for ``moment`` (reloaded here if
    they are not), as the offline verifier judges it from its bundle; a plate is looked up.
    Bad input is refused before anything is judged."""
    at = _inspected_at(request, now)
    cache.catch_up(session, moment)  # first, while this session holds no transaction
    zone = None
    if request.zone is not None or (request.latitude is not None and request.longitude is not None):
        zone = _zone_of(cache.piece(session, "zones", moment, now), request)
    if request.pass_token is not None:
        cache.vouch_for_issued(session, now=now)
        keys = cache.piece(session, "keys", moment, now)
        revoked = cache.piece(session, "revocations", moment, now)
        found = _judge_scanned(
            request, settings, cache, at=at, zone=zone, keys=keys, revoked=revoked
        )
        return Judged(found, zone, at)
    assert request.plate is not None
    assert zone is not None
    return Judged(judge_plate(session, parse_plate(request.plate), zone, at=at), zone, at)


def inspection_record(
    judged: Judged, request: InspectionRequest, *, inspector_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """The row recording one inspection (its id is given when it is written)."""
    found = judged.verdict
    return {
        "inspector_id": inspector_id,
        "at": judged.at,
        "method": (
            InspectionMethod.scanned_pass
            if request.pass_token is not None
            else InspectionMethod.plate
        ).value,
        "plate": found.plate,
        "pass_id": found.pass_id,
        "zone_code": judged.zone,
        "latitude": request.latitude,
        "longitude": request.longitude,
        "allowed": found.allowed,
        "reason": found.reason.value,
        "created_at": now,
    }


def recorded_inspections(
    session: Session, *, limit: int, offset: int, inspector_id: uuid.UUID | None = None
) -> Sequence[Inspection]:
    return InspectionRepository(session).recent(
        limit=limit, offset=offset, inspector_id=inspector_id
    )


def anonymise_inspections(session: Session, cutoff: datetime, now: datetime) -> int:
    """Remove the plate (and the pass id, which leads to it) from inspections made before the
    cutoff (the retention rule ``parking.inspection_plates``)."""
    return InspectionRepository(session).anonymise_before(cutoff, now)
