"""What the cards API takes and gives."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from resident_card.cards.models import CardStatus, RevocationReason

CARD_REFERENCE = r"^[A-Za-z0-9_-]{12}$"


class Label(BaseModel):
    """One text in each of the city's languages."""

    he: str
    ar: str
    en: str


class BenefitOut(BaseModel):
    code: str
    label: Label
    balance: int | None = Field(description="In minor units of `unit`: agorot for ILS, minutes.")
    unit: str | None


class CardOut(BaseModel):
    """What the wallet shows: the holder's own data, to the holder (or their guardian) only."""

    reference: str = Field(description="The card's opaque reference (its tokens' `sub`).")
    resident_id: uuid.UUID
    display_name: str
    photo_url: str | None
    number: str = Field(description="Ten digits; the last is a Luhn check digit.")
    status: CardStatus
    issued_at: datetime
    expires_on: date
    valid: bool = Field(description="Active and not expired: the QR can be shown.")
    is_ward: bool = Field(description="The card of a minor in the caller's care.")
    benefits: list[BenefitOut]


class CardTokenOut(BaseModel):
    token: str = Field(description="A compact JWS (ES256) for the QR code; no personal data.")
    expires_at: datetime


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=4096)


class VerifyOut(BaseModel):
    """A scan's answer, cut to the caller's role; never a name or an ID number."""

    valid: bool
    reason: str | None = Field(
        default=None,
        description=(
            "Why not: malformed, bad_signature, unknown_kid, expired, not_yet_valid, "
            "wrong_audience (the token); unknown_device, device_revoked, wrong_card (a "
            "token a phone signed); wrong_code (a typed code); or unknown_card, "
            "card_suspended, card_revoked, card_expired (the card now)."
        ),
    )
    status: CardStatus | None = None
    token_expires_at: datetime | None = None
    photo_url: str | None = None
    # A merchant (and a clerk) also see:
    eligible_resident: bool | None = None
    age_band: str | None = None
    programmes: list[str] | None = None
    # A clerk also sees:
    card_number: str | None = None
    card_expires_on: date | None = None


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["lost", "damaged", "fraud", "other"] = "lost"
    note: str | None = Field(default=None, max_length=500)


class StatusNoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=500)


class AdminCardOut(BaseModel):
    """A card as the city's staff see it: no name, no ID number."""

    reference: str
    resident_id: uuid.UUID
    number: str
    status: CardStatus
    stored_status: CardStatus = Field(description="The card's own status, before residency.")
    issued_at: datetime
    expires_on: date
    revoked_at: datetime | None
    revocation_reason: RevocationReason | None


# --- the phones that sign the card's tokens ------------------------------------------------------


class DevicePublicKey(BaseModel):
    """The public half of the device's key, as WebCrypto exports it (a JWK)."""

    model_config = ConfigDict(extra="ignore")

    kty: str = Field(max_length=8)
    crv: str = Field(max_length=8)
    x: str = Field(max_length=64)
    y: str = Field(max_length=64)


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key: DevicePublicKey


class DeviceOut(BaseModel):
    id: uuid.UUID
    kid: str = Field(description="The kid the device signs its tokens under.")
    label: str = Field(description="The browser and the system, read from the User-Agent.")
    registered_at: datetime
    last_used_at: datetime | None


class RegisteredDeviceOut(DeviceOut):
    card_reference: str = Field(description="The `sub` of the tokens this device signs.")
    code_prefix: str = Field(description="The first six digits of every code the device shows.")
    code_secret: str = Field(
        description="Base64url; the HOTP secret of the device's codes. Given once, here only."
    )
    token_lifetime_seconds: int
    code_step_seconds: int
