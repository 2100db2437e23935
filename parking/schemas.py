"""What the parking API takes and gives, and how a plate number is written."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from figures.statistics import WindowOut
from parking.models import VehicleRelation, ZoneKind
from parking.offline import Reason

# Long enough for any way of typing a plate (spaces, dashes); what is not 7 or 8 digits is refused
# as ``invalid_plate``, whatever its length up to this.
PLATE_INPUT_LENGTH = 40
PLATE_SEPARATORS = frozenset(" -.\u2010\u2011\u2012\u2013\u2014\u2212")


def normalise_plate(text: str) -> str:
    """An Israeli plate as stored: its 7 or 8 digits (``12-345-67`` → ``1234567``); else ValueError."""
    digits = "".join(character for character in text if character not in PLATE_SEPARATORS)
    if len(digits) not in (7, 8) or not (digits.isascii() and digits.isdigit()):
        raise ValueError("a plate is 7 or 8 digits")
    return digits


def show_plate(digits: str) -> str:
    """A plate as it is written on the car: ``12-345-67`` (7 digits) or ``123-45-678`` (8)."""
    if len(digits) == 7:
        return f"{digits[:2]}-{digits[2:5]}-{digits[5:]}"
    if len(digits) == 8:
        return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
    return digits


class Names(BaseModel):
    he: str
    ar: str
    en: str


class ZoneOut(BaseModel):
    code: str
    kind: ZoneKind
    names: Names
    geometry: dict[str, Any] | None = Field(
        default=None, description="the zone's outline: a GeoJSON Polygon or MultiPolygon"
    )


class ZoneRangeOut(BaseModel):
    street_code: str
    street: Names
    from_number: int
    to_number: int
    parity: Literal["all", "odd", "even"]


class ZoneDetailOut(ZoneOut):
    streets: list[ZoneRangeOut]


# --- vehicles -----------------------------------------------------------------------------------


class VehicleIn(BaseModel):
    """A vehicle to register: its plate, and whether you own it or use it."""

    model_config = ConfigDict(extra="forbid")

    plate: str = Field(max_length=PLATE_INPUT_LENGTH, examples=["12-345-67"])
    relation: VehicleRelation = Field(description="owner, or user (you drive it; not yours)")


class VehicleOut(BaseModel):
    id: uuid.UUID
    plate: str = Field(description="as written on the car, with dashes")
    relation: VehicleRelation
    registered_at: datetime
    registered_by_me: bool


# --- permits ------------------------------------------------------------------------------------

PermitState = Literal["refused", "active", "expired", "cancelled", "ended"]


class PermitApply(BaseModel):
    """Apply for a resident parking permit for a vehicle of your household."""

    model_config = ConfigDict(extra="forbid")

    plate: str = Field(max_length=PLATE_INPUT_LENGTH, examples=["12-345-67"])


class DecisionReasonOut(BaseModel):
    """One condition of the rule and how it went, in the caller's language."""

    kind: str
    outcome: Literal["pass", "fail", "missing"]
    fact: str | None
    text: str = Field(description="the reason in plain words, or its expression when unworded")
    expression: str = Field(description="the condition in the engine's form, e.g. `age 38 ≥ 67 ✗`")


class PermitOut(BaseModel):
    id: uuid.UUID
    status: PermitState = Field(
        description="refused, active, expired, cancelled (by you) or ended (you moved, or the vehicle was removed)"
    )
    end_reason: str | None = Field(
        default=None, description="cancelled, moved, residency or vehicle_removed"
    )
    plate: str
    zone: str | None
    zone_name: str | None
    valid_from: datetime | None
    valid_until: datetime | None = Field(
        description="the moment it ends: the midnight after its last day"
    )
    last_valid_day: date | None = Field(
        default=None, description="its last valid day on the city's calendar, e.g. 2027-12-02"
    )
    pass_id: str | None = None
    pass_token: str | None = Field(
        default=None,
        description="the signed parking pass (compact JWS), while the permit is active",
    )
    applied_at: datetime
    decision_id: uuid.UUID
    reasons: list[DecisionReasonOut]


class OfferOut(BaseModel):
    """What you may apply for now: a permit in your address's zone for these vehicles."""

    zone: str
    zone_name: str
    plates: list[str]


class MovedOut(BaseModel):
    zone: str | None = Field(description="the zone of your address now, if it is in one")
    ended: list[PermitOut] = Field(description="permits ended because they are for another zone")
    offer: OfferOut | None


class ParkingMeOut(BaseModel):
    zone: str | None
    zone_name: str | None
    vehicles: list[VehicleOut]
    permits: list[PermitOut]
    offer: OfferOut | None
    free_minutes: int = Field(description="free parking minutes left to use now")


# --- sessions -----------------------------------------------------------------------------------


class SessionStart(BaseModel):
    """Start parking a vehicle of your household in a zone, or in a municipal car park."""

    model_config = ConfigDict(extra="forbid")

    plate: str = Field(max_length=PLATE_INPUT_LENGTH)
    zone: str | None = Field(default=None, max_length=32)
    lot: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _one_place(self) -> SessionStart:
        if (self.zone is None) == (self.lot is None):
            raise ValueError("give either zone or lot")
        return self


class SessionOut(BaseModel):
    id: uuid.UUID
    plate: str | None = Field(description="none once the retention period removed it")
    zone: str
    kind: ZoneKind
    status: Literal["running", "stopped"]
    started_at: datetime
    stopped_at: datetime | None
    minutes: int | None = Field(description="minutes parked, rounded up")
    free_minutes: int | None = Field(description="taken from your free-minute allowance")
    paid_minutes: int | None = Field(description="beyond your allowance: paid parking")


class MinutesOut(BaseModel):
    available: int
    unit: Literal["PARKING_MIN"] = "PARKING_MIN"


# --- inspection ---------------------------------------------------------------------------------


class InspectionIn(BaseModel):
    """A scanned pass (``pass``), or a typed ``plate``; the place as a ``zone`` code or ``lat``/``lon``.

    A pass needs no place (then it is judged for its own zone); a plate needs one.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    pass_token: str | None = Field(default=None, alias="pass", min_length=1, max_length=4096)
    plate: str | None = Field(default=None, max_length=PLATE_INPUT_LENGTH)
    zone: str | None = Field(default=None, min_length=1, max_length=32)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    at: datetime | None = Field(
        default=None, description="when the vehicle was seen (default: now); within the last 7 days"
    )

    @model_validator(mode="after")
    def _one_way(self) -> InspectionIn:
        if (self.pass_token is None) == (self.plate is None):
            raise ValueError('give either "pass" or "plate"')
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give lat and lon together")
        if self.zone is not None and self.lat is not None:
            raise ValueError("give the place as zone or as lat/lon, not both")
        if self.plate is not None and self.zone is None and self.lat is None:
            raise ValueError("a plate needs the place: zone, or lat and lon")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at needs a time zone")
        return self


class InspectionOut(BaseModel):
    """The verdict: no name, no address, no ID number."""

    allowed: bool
    reason: Reason
    zone: str | None = Field(description="the zone the pass, permit or session is for")
    valid_until: datetime | None
    last_valid_day: date | None = Field(
        default=None, description="the permit's last valid day on the city's calendar"
    )


class InspectionRecordOut(BaseModel):
    id: uuid.UUID
    inspector_id: uuid.UUID
    at: datetime
    method: Literal["pass", "plate"]
    plate: str | None = Field(description="removed once the retention period is over")
    zone: str | None
    lat: float | None
    lon: float | None
    allowed: bool
    reason: str
    anonymised: bool


class RevokedPassOut(BaseModel):
    pass_id: str
    revoked_at: datetime
    expires_at: datetime


class RevocationsOut(BaseModel):
    revoked: list[RevokedPassOut] = Field(description="revoked passes not yet expired")
    next_since: datetime | None = Field(
        description="ask with since=this next time (a minute of overlap is built in; ids repeat)"
    )


class BundleZoneOut(BaseModel):
    code: str
    kind: ZoneKind
    names: Names
    geometry: dict[str, Any] | None


class OfflineBundleOut(BaseModel):
    """All an inspector's device needs to judge passes with no network, until ``expires_at``."""

    jwks: dict[str, Any]
    # Kids of keys the city retired: a pass signed by one is refused as ``retired_key``.
    retired_kids: list[str]
    audience: str
    leeway_seconds: int
    revoked: list[RevokedPassOut]
    zones: list[BundleZoneOut]
    issued_at: datetime
    expires_at: datetime


# --- statistics (/api/v1/stats/…) ---------------------------------------------------------------

Verdicts = Annotated[
    dict[str, int],
    Field(
        description="Inspections by verdict: the reason an inspector was told, every one listed "
        "(`valid_permit` and `active_session` allow the vehicle; every other reason does not)."
    ),
]


class ZoneInspectionsOut(BaseModel):
    code: str | None = Field(
        description="The zone the inspector checked in; null for checks of a scanned pass with no "
        "place given (judged for the pass's own zone)."
    )
    name: str
    inspections: int = Field(description="Inspections recorded in the window.")
    verdicts: Verdicts
    shares: dict[str, float] = Field(
        description="Each verdict's share of the zone's inspections, 0 to 1 (0 when none)."
    )


class InspectionMonthOut(BaseModel):
    month: str = Field(description="A city month of the window (YYYY-MM), by the check's time.")
    inspections: int
    verdicts: Verdicts


class InspectionStatsOut(BaseModel):
    window: WindowOut
    zones: list[ZoneInspectionsOut] = Field(description="Every zone, then checks with no place.")
    months: list[InspectionMonthOut]


class ZonePermitsOut(BaseModel):
    code: str
    name: str
    issued: int = Field(description="Permits granted for the zone in the window (refusals not).")
    active_at_end: int = Field(
        description="Its permits in force as the window ends (begun, not run out, not cancelled "
        "or ended by a change of the holder's)."
    )


class PermitMonthOut(BaseModel):
    month: str = Field(description="A city month of the window (YYYY-MM).")
    issued: int = Field(description="Permits granted in the month, every zone.")


class PermitStatsOut(BaseModel):
    window: WindowOut
    zones: list[ZonePermitsOut] = Field(description="Every zone and car park.")
    months: list[PermitMonthOut]
