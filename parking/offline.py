"""Judging a parking pass with no network, and finding the zone a point lies in.

Pure: no database, no settings, no clock of its own. An inspector's device holds the offline bundle
(``GET /api/v1/parking/offline-bundle``: the JWKS, the revoked pass ids, the zones and their
outlines) and calls ``judge_offline``; the API judges a scanned pass with the same ``judge_pass``
on the same kinds of data held in memory, so the two verdicts cannot drift apart.

Geometry is GeoJSON (RFC 7946): positions are ``[longitude, latitude]``, a Polygon is an outer
ring and its holes, a MultiPolygon a list of Polygons. Point-in-polygon is the even-odd ray test,
which is exact enough at a city's scale (no projection needed for a containment test).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from parking.exceptions import PlaceOutsideZones, UnknownZone
from resident_card.cards.devices import is_device_kid
from resident_card.credentials.jws import (
    CheckedSignatures,
    Rejection,
    RejectionReason,
    token_kid,
    verify_credential,
)

MAX_VERTICES = 20_000  # per zone outline: far above any street map's detail


class Reason(StrEnum):
    """Why a vehicle may, or may not, park where it was checked."""

    valid_permit = "valid_permit"
    active_session = "active_session"
    expired = "expired"
    revoked = "revoked"
    wrong_zone = "wrong_zone"
    unknown_vehicle = "unknown_vehicle"
    no_permit = "no_permit"  # a registered vehicle with no permit or session for here
    bad_signature = "bad_signature"  # not signed by a key of the city's (forged or altered)
    malformed = "malformed"  # not a pass at all: unreadable
    not_a_pass = "not_a_pass"  # noqa: S105 - signed by the city, but for another use (a resident card's QR)
    not_yet_valid = "not_yet_valid"
    retired_key = "retired_key"  # signed by a key the city has retired: the pass was re-issued


ALLOWING = frozenset({Reason.valid_permit, Reason.active_session})


@dataclass(frozen=True)
class Verdict:
    """What the inspector is told: allowed or not, why, for which zone, until when."""

    allowed: bool
    reason: Reason
    zone: str | None = None
    valid_until: datetime | None = None
    # For the inspection's record only; never shown to the inspector beyond what the pass says.
    pass_id: str | None = None
    plate: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reason": self.reason.value,
            "zone": self.zone,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }


def verdict(
    reason: Reason,
    *,
    zone: str | None = None,
    valid_until: datetime | None = None,
    pass_id: str | None = None,
    plate: str | None = None,
) -> Verdict:
    return Verdict(reason in ALLOWING, reason, zone, valid_until, pass_id, plate)


_REJECTIONS: dict[RejectionReason, Reason] = {
    RejectionReason.malformed: Reason.malformed,
    RejectionReason.bad_signature: Reason.bad_signature,
    # A key the city never published (or withdrew) cannot vouch for the pass: to the inspector,
    # that is a bad signature.
    RejectionReason.unknown_kid: Reason.bad_signature,
    RejectionReason.expired: Reason.expired,
    RejectionReason.not_yet_valid: Reason.not_yet_valid,
    RejectionReason.wrong_audience: Reason.not_a_pass,
}


def _is_plate(value: object) -> bool:
    return isinstance(value, str) and len(value) in (7, 8) and value.isascii() and value.isdigit()


def judge_pass(
    token: str,
    *,
    jwks: Mapping[str, Any],
    revoked: Mapping[str, datetime],
    audience: str,
    at: datetime,
    zone: str | None = None,
    leeway: int = 30,
    checked: CheckedSignatures | None = None,
    retired_kids: Collection[str] = (),
) -> Verdict:
    """A pass's verdict at ``at``: signed by a key of ``jwks`` for ``audience``, not expired, not in
    ``revoked`` (pass id → when it was revoked), and for ``zone`` when the place's zone is given.
    A pass whose kid is among ``retired_kids`` is refused as such (its holder has a new one).
    ``checked`` spares a pass seen before its signature check (see ``CheckedSignatures``)."""
    result = verify_credential(
        token, jwks, audience=audience, now=at, leeway=leeway, checked=checked
    )
    if isinstance(result, Rejection):
        if result.reason is RejectionReason.unknown_kid and token_kid(token) in retired_kids:
            return verdict(Reason.retired_key)
        # A card's QR its holder's phone signed: a card, not a forgery of a pass.
        if result.reason is RejectionReason.unknown_kid and is_device_kid(token_kid(token)):
            return verdict(Reason.not_a_pass)
        return verdict(_REJECTIONS[result.reason])
    claims = result.claims
    plate, pass_zone = claims.get("plate"), claims.get("zone")
    if not _is_plate(plate) or not isinstance(pass_zone, str) or not pass_zone:
        return verdict(Reason.malformed)
    common: dict[str, Any] = {
        "zone": pass_zone,
        "valid_until": result.expires_at,
        "pass_id": result.subject,
        "plate": plate,
    }
    revoked_at = revoked.get(result.subject)
    if revoked_at is not None and revoked_at <= at:
        return verdict(Reason.revoked, **common)
    if zone is not None and zone != pass_zone:
        return verdict(Reason.wrong_zone, **common)
    return verdict(Reason.valid_permit, **common)


# --- geometry ---------------------------------------------------------------------------------


def _ring_contains(ring: Sequence[Sequence[float]], x: float, y: float) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def contains(geometry: Mapping[str, Any], longitude: float, latitude: float) -> bool:
    """Whether a point lies inside a Polygon or MultiPolygon (inside the outer ring, not in a hole)."""
    for rings in _polygons(geometry):
        if _ring_contains(rings[0], longitude, latitude) and not any(
            _ring_contains(hole, longitude, latitude) for hole in rings[1:]
        ):
            return True
    return False


def _ring_area(ring: Sequence[Sequence[float]]) -> float:
    total = 0.0
    for i in range(len(ring) - 1):
        total += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1]
    return abs(total) / 2


def area(geometry: Mapping[str, Any]) -> float:
    """The outline's area in square degrees: only to tell the narrower of two outlines."""
    return sum(
        _ring_area(rings[0]) - sum(_ring_area(hole) for hole in rings[1:])
        for rings in _polygons(geometry)
    )


def zone_at(
    zones: Iterable[tuple[str, Mapping[str, Any] | None]], longitude: float, latitude: float
) -> str | None:
    """The code of the zone whose outline holds the point; where outlines overlap (a car park inside
    a residential zone), the narrower one. ``None`` when no outline holds it."""
    found: list[tuple[float, str]] = []
    for code, geometry in zones:
        if geometry is not None and contains(geometry, longitude, latitude):
            found.append((area(geometry), code))
    return min(found)[1] if found else None


def _position(value: object) -> bool:
    if not isinstance(value, list | tuple) or len(value) < 2:
        return False
    x, y = value[0], value[1]
    if isinstance(x, bool) or isinstance(y, bool) or not isinstance(x, int | float):
        return False
    if not isinstance(y, int | float) or not (math.isfinite(x) and math.isfinite(y)):
        return False
    return -180 <= x <= 180 and -90 <= y <= 90


def geometry_problem(geometry: object) -> str | None:
    """What is wrong with a GeoJSON Polygon or MultiPolygon, or ``None`` when it is usable."""
    if not isinstance(geometry, Mapping) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return "a geometry must be a GeoJSON Polygon or MultiPolygon"
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or not coordinates:
        return "coordinates are missing"
    polygons = [coordinates] if geometry["type"] == "Polygon" else coordinates
    vertices = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "a polygon needs at least its outer ring"
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return "a ring needs at least four positions"
            if not all(_position(position) for position in ring):
                return "a position must be [longitude, latitude] within range"
            if list(ring[0][:2]) != list(ring[-1][:2]):
                return "a ring must end where it starts"
            vertices += len(ring)
    if vertices > MAX_VERTICES:
        return f"more than {MAX_VERTICES} positions"
    return None


# --- the offline bundle -----------------------------------------------------------------------


class StaleBundle(Exception):
    """The bundle is past its ``expires_at``: the device must fetch a fresh one before judging."""


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def judge_offline(
    token: str,
    bundle: Mapping[str, Any],
    *,
    now: datetime,
    zone: str | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
) -> Verdict:
    """Judge a scanned pass from the offline bundle alone: the same verdict the API gives.

    The place is a zone code, or a point (the zone whose outline holds it); neither judges the pass
    for its own zone. Raises ``StaleBundle`` once the bundle has expired, ``UnknownZone`` for a zone
    the bundle does not list, and ``PlaceOutsideZones`` for a point outside every outline.
    """
    if now >= _moment(str(bundle["expires_at"])):
        raise StaleBundle()
    zones = bundle.get("zones") or []
    if zone is not None and zone not in {z["code"] for z in zones}:
        raise UnknownZone(zone=zone[:32])
    if zone is None and longitude is not None and latitude is not None:
        zone = zone_at(((z["code"], z.get("geometry")) for z in zones), longitude, latitude)
        if zone is None:
            raise PlaceOutsideZones()
    revoked = {item["pass_id"]: _moment(item["revoked_at"]) for item in bundle.get("revoked", [])}
    return judge_pass(
        token,
        jwks=bundle["jwks"],
        revoked=revoked,
        audience=str(bundle["audience"]),
        at=now,
        zone=zone,
        leeway=int(bundle.get("leeway_seconds", 30)),
        retired_kids=frozenset(str(kid) for kid in bundle.get("retired_kids") or ()),
    )
