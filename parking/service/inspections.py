"""Inspections: a scanned pass judged from this process's memory (``InspectionCache``), a typed
plate looked up, every inspection recorded in batches off the request path (``InspectionLog``),
and plates dropped from old records."""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from parking.exceptions import (
    InspectionTimeOutOfRange,
    PlaceOutsideZones,
    UnknownZone,
)
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
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import CheckedSignatures, public_key_for, token_kid
from resident_card.settings import Settings

MAX_INSPECTION_AGE = timedelta(days=7)
INSPECTION_CLOCK_SKEW = timedelta(minutes=5)
# Passes made up to this long before the last look for them are read again: a transaction that
# made one may commit a moment after it stamped it.
ISSUED_LATE_MARGIN = timedelta(seconds=30)

logger = logging.getLogger("toshav.parking")


# --- inspection ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Zones:
    codes: frozenset[str]
    outlines: tuple[tuple[str, dict[str, Any] | None], ...]


@dataclass
class InspectionCache:
    """What judging a pass needs, held in this process's memory, so a scanned pass is checked with
    no database round trip: the JWKS, the revoked pass ids, and the zones' codes and outlines.

    Revocations are checked at most every ``revocations_every`` seconds, by counting the revoked
    passes (one indexed count; it only grows), and reloaded only when the count changed. Keys are
    reloaded every ``keys_every`` seconds, and at once (at most once a second) for a kid not seen
    yet. Zones every ``zones_every`` seconds. Safe to share between threads: each piece is replaced
    whole, and one thread reloads while the others use what is there.

    The ``usable_*`` readers are for judging with no database (``inspect_from_memory``): when a
    piece is due a reload, the first caller claims the reload (and must go to the database), and
    callers that come while it runs use what is there, rather than every concurrent request
    reloading the same piece (64 requests taking SQLite's write lock in turn, once a second). So
    a revocation is seen within ``revocations_every`` plus one reload; a claim whose reload never
    came lapses after ``CLAIM_SECONDS``.
    """

    CLAIM_SECONDS = 2.0

    revocations_every: float = 1.0
    keys_every: float = 30.0
    zones_every: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _revoked: tuple[float, int, Mapping[str, datetime]] | None = None
    _jwks: tuple[float, Mapping[str, Any], frozenset[str]] | None = None  # and its usable kids
    _zones: tuple[float, _Zones] | None = None
    _claims: dict[str, float] = field(default_factory=dict)
    # Passes whose signature checked out against the keys held here: a pass scanned again (a
    # resident's yearly pass is, on every round) skips the ES256 check; revocation, expiry and
    # zone are judged anew each time.
    checked: CheckedSignatures = field(default_factory=CheckedSignatures)
    # The passes this city issued are vouched for in ``checked`` (see ``vouch_for_issued``).
    issued_every: float = 5.0
    issued_afresh_every: float = 3600.0
    _issued: tuple[float, float, datetime] | None = None  # looked at, read whole at, ``now`` then
    _vouching: threading.Lock = field(default_factory=threading.Lock)

    def _reloading_elsewhere(self, piece: str) -> bool:
        """Whether another request is reloading ``piece`` now; if none is, this caller claims it."""
        moment = self.clock()
        claimed = self._claims.get(piece)
        if claimed is not None and moment - claimed < self.CLAIM_SECONDS:
            return True
        self._claims[piece] = moment
        return False

    def usable_revocations(self) -> Mapping[str, datetime] | None:
        """The revoked passes if fresh, or while another request reloads them; else None."""
        current = self._revoked
        if current is None:
            return None
        if self.clock() - current[0] < self.revocations_every:
            return current[2]
        return current[2] if self._reloading_elsewhere("revocations") else None

    def usable_keys(self, kid: str | None = None) -> Mapping[str, Any] | None:
        """The JWKS as ``known_keys`` gives it, or while another request reloads it; else None."""
        known = self.known_keys(kid)
        if known is not None:
            return known
        current = self._jwks
        if current is None or (kid is not None and kid not in current[2]):
            return None
        return current[1] if self._reloading_elsewhere("keys") else None

    def usable_zones(self) -> _Zones | None:
        """The zones if fresh, or while another request reloads them; else None."""
        known = self.known_zones()
        if known is not None:
            return known
        current = self._zones
        if current is None:
            return None
        return current[1] if self._reloading_elsewhere("zones") else None

    def forget_revocations(self) -> None:
        """This process revoked a pass: count again at the next check."""
        current = self._revoked
        if current is not None:
            self._revoked = (-math.inf, current[1], current[2])

    def known_revocations(self) -> Mapping[str, datetime] | None:
        """The revoked passes if checked within ``revocations_every``; None when a check is due."""
        current = self._revoked
        if current is not None and self.clock() - current[0] < self.revocations_every:
            return current[2]
        return None

    def known_keys(self, kid: str | None = None) -> Mapping[str, Any] | None:
        """The JWKS if fresh (and holding ``kid``, or reloaded within the second); else None."""
        current = self._jwks
        if current is None:
            return None
        age = self.clock() - current[0]
        knows = kid is None or kid in current[2]
        if age < self.keys_every and (knows or age < 1.0):
            return current[1]
        return None

    def known_zones(self) -> _Zones | None:
        """The zones if loaded within ``zones_every``; else None."""
        current = self._zones
        if current is not None and self.clock() - current[0] < self.zones_every:
            return current[1]
        return None

    def revoked(self, session: Session, *, now: datetime) -> Mapping[str, datetime]:
        known = self.known_revocations()
        if known is not None:
            return known
        current = self._revoked
        moment = self.clock()
        try:
            repository = PassRepository(session)
            count = repository.revoked_count()
            if current is not None and count == current[1]:
                self._revoked = (moment, count, current[2])
                return current[2]
            # Passes that expired a day ago fail on their expiry anyway.
            rows = repository.revoked(unexpired_at=now - timedelta(days=1))
            loaded = {pass_id: revoked_at for pass_id, revoked_at, _ in rows}
            self._revoked = (moment, count, loaded)
            return loaded
        finally:
            self._claims.pop("revocations", None)

    def jwks(self, session: Session, *, kid: str | None = None) -> Mapping[str, Any]:
        known = self.known_keys(kid)
        if known is not None:
            return known
        moment = self.clock()
        # No lock around the read: a thread holding one while its session waits for SQLite's write
        # lock, held by a request waiting for that very lock, stalled both for the 30 s busy
        # timeout, then answered 500. Two requests reloading at once each store what they read.
        try:
            loaded = credentials.published_jwks(session)
            self._jwks = (moment, loaded, _usable_kids(loaded))
        finally:
            self._claims.pop("keys", None)
        return loaded

    def zones(self, session: Session) -> _Zones:
        known = self.known_zones()
        if known is not None:
            return known
        moment = self.clock()
        try:
            every = list_zones(session)
            loaded = _Zones(
                frozenset(zone.code for zone in every), tuple((z.code, z.geometry) for z in every)
            )
            self._zones = (moment, loaded)
        finally:
            self._claims.pop("zones", None)
        return loaded

    def forget_zones(self) -> None:
        self._zones = None

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
        moment = self.clock()
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


def _usable_kids(jwks: Mapping[str, Any]) -> frozenset[str]:
    keys = jwks.get("keys")
    kids = (
        {key.get("kid") for key in keys if isinstance(key, Mapping)}
        if isinstance(keys, list)
        else set()
    )
    return frozenset(
        kid for kid in kids if isinstance(kid, str) and public_key_for(jwks, kid) is not None
    )


class InspectionLog:
    """Inspections waiting to be written, written in batches off the request path.

    ``add`` queues a record and returns: the inspector has the verdict at once, and no request
    waits for an INSERT and its commit. A writer thread hands what waits to ``write`` (which
    writes the records in one multi-row INSERT and commits) every ``interval`` seconds, at once
    when ``batch`` records wait; ``flush`` writes what waits now, and runs when the process exits.
    A write that fails leaves its records queued for the next one. What a crash of the process
    can lose is the records of its last ``interval``.
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
        self._thread: threading.Thread | None = None

    def add(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._waiting.append(record)
            waiting = len(self._waiting)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="parking-inspection-log", daemon=True
                )
                self._thread.start()
                atexit.register(self.flush)
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
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("inspections could not be written; they wait for the next try")


def record_inspections(session: Session, records: Sequence[dict[str, Any]]) -> None:
    """Write inspections queued by an ``InspectionLog``, in one multi-row INSERT, each with a new
    random id (the batch's ids read from the system's randomness at once, not one call each)."""
    randomness = os.urandom(16 * len(records))
    rows = [
        {**record, "id": uuid.UUID(bytes=randomness[16 * i : 16 * i + 16], version=4)}
        for i, record in enumerate(records)
    ]
    InspectionRepository(session).add_many(rows)


@dataclass(frozen=True)
class InspectionRequest:
    pass_token: str | None
    plate: str | None
    zone: str | None
    latitude: float | None
    longitude: float | None
    at: datetime | None


def _place_zone(session: Session, cache: InspectionCache, request: InspectionRequest) -> str | None:
    if request.zone is not None:
        zones = cache.zones(session)
        if request.zone not in zones.codes:
            cache.forget_zones()  # a zone loaded since: look again
            if request.zone not in cache.zones(session).codes:
                raise UnknownZone(zone=request.zone[:32])
        return request.zone
    if request.latitude is not None and request.longitude is not None:
        found = zone_at(cache.zones(session).outlines, request.longitude, request.latitude)
        if found is None:
            raise PlaceOutsideZones()
        return found
    return None


def _inspected_at(request: InspectionRequest, now: datetime) -> datetime:
    at = request.at or now
    if not now - MAX_INSPECTION_AGE <= at <= now + INSPECTION_CLOCK_SKEW:
        raise InspectionTimeOutOfRange()
    return at


def _record(
    found: Verdict,
    request: InspectionRequest,
    method: InspectionMethod,
    *,
    inspector_id: uuid.UUID,
    at: datetime,
    zone: str | None,
    now: datetime,
) -> dict[str, Any]:
    return {  # its id is given when it is written (``record_inspections``)
        "inspector_id": inspector_id,
        "at": at,
        "method": method.value,
        "plate": found.plate,
        "pass_id": found.pass_id,
        "zone_code": zone,
        "latitude": request.latitude,
        "longitude": request.longitude,
        "allowed": found.allowed,
        "reason": found.reason.value,
        "created_at": now,
    }


def inspect_from_memory(
    settings: Settings,
    cache: InspectionCache,
    request: InspectionRequest,
    *,
    inspector_id: uuid.UUID,
    now: datetime,
    log: InspectionLog,
) -> Verdict | None:
    """Judge a scanned pass with no database at all, when everything it needs is fresh in
    ``cache``, and queue its record on ``log``; None when the database must be asked (a typed
    plate, a zone not known yet, or keys, revocations or zones due a reload): then ``inspect``.

    The same verdict ``inspect`` gives, from the same data, so an async endpoint can answer most
    scans without a thread or a connection. Bad input is refused here just as there.
    """
    if request.pass_token is None:
        return None
    at = _inspected_at(request, now)
    zone = request.zone
    latitude, longitude = request.latitude, request.longitude
    if zone is not None or (latitude is not None and longitude is not None):
        zones = cache.usable_zones()
        if zones is None:
            return None
        if zone is not None:
            if zone not in zones.codes:
                return None  # perhaps loaded since: ``inspect`` looks again, and says so if not
        elif latitude is not None and longitude is not None:
            zone = zone_at(zones.outlines, longitude, latitude)
            if zone is None:
                raise PlaceOutsideZones()
    jwks = cache.usable_keys(token_kid(request.pass_token))
    revoked = cache.usable_revocations()
    if jwks is None or revoked is None:
        return None
    found = judge_pass(
        request.pass_token,
        jwks=jwks,
        revoked=revoked,
        audience=settings.parking_pass_audience,
        at=at,
        zone=zone,
        leeway=settings.credential_leeway_seconds,
        checked=cache.checked,
    )
    method = InspectionMethod.scanned_pass
    log.add(_record(found, request, method, inspector_id=inspector_id, at=at, zone=zone, now=now))
    return found


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


def inspect(
    session: Session,
    settings: Settings,
    cache: InspectionCache,
    request: InspectionRequest,
    *,
    inspector_id: uuid.UUID,
    now: datetime,
    log: InspectionLog | None = None,
) -> Verdict:
    """Judge a scanned pass or a typed plate at a place, and record the inspection.

    A pass is judged from memory (``InspectionCache``), as the offline verifier judges it from its
    bundle; a plate is looked up. The record goes to ``log`` (written in batches, off the request
    path), or with no log into this session's transaction. Bad input is refused before anything
    is recorded.
    """
    at = _inspected_at(request, now)
    zone = _place_zone(session, cache, request)
    if request.pass_token is not None:
        cache.vouch_for_issued(session, now=now)
        found = judge_pass(
            request.pass_token,
            jwks=cache.jwks(session, kid=token_kid(request.pass_token)),
            revoked=cache.revoked(session, now=now),
            audience=settings.parking_pass_audience,
            at=at,
            zone=zone,
            leeway=settings.credential_leeway_seconds,
            checked=cache.checked,
        )
        method = InspectionMethod.scanned_pass
    else:
        assert request.plate is not None
        assert zone is not None
        found = judge_plate(session, parse_plate(request.plate), zone, at=at)
        method = InspectionMethod.plate
    record = _record(found, request, method, inspector_id=inspector_id, at=at, zone=zone, now=now)
    if log is None:
        record_inspections(session, [record])
    else:
        log.add(record)
    return found


def inspections(
    session: Session, *, limit: int, offset: int, inspector_id: uuid.UUID | None = None
) -> Sequence[Inspection]:
    return InspectionRepository(session).recent(
        limit=limit, offset=offset, inspector_id=inspector_id
    )


def anonymise_inspections(session: Session, *, now: datetime, older_than_days: int) -> int:
    """Remove the plate (and the pass id, which leads to it) from inspections older than this."""
    if older_than_days < 1:
        raise ValueError("older_than_days must be at least 1")
    return InspectionRepository(session).anonymise_before(
        now - timedelta(days=older_than_days), now
    )
