"""Resident cards and the photos on them.

A resident holds at most one current card (active or suspended); a revoked card stays on record
beside the one that replaced it. Its ``reference`` is the opaque ``sub`` of its QR tokens: neither
the card number nor anything about the holder.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin


class CardStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    revoked = "revoked"


class RevocationReason(StrEnum):
    lost = "lost"  # a lost or stolen phone or card
    damaged = "damaged"
    expired = "expired"  # replaced by a renewal
    fraud = "fraud"  # a clerk's decision
    other = "other"


class Card(RecordMixin, Base):
    __tablename__ = "cards"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'revoked')", name="status_known"),
        CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_has_a_time"
        ),
        # One current card per resident, whatever races: the database refuses a second.
        Index(
            "uq_cards_resident_current",
            "resident_id",
            unique=True,
            sqlite_where=text("status <> 'revoked'"),
            postgresql_where=text("status <> 'revoked'"),
        ),
    )

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    number: Mapped[str] = mapped_column(String(10), unique=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=CardStatus.active.value)
    issued_at: Mapped[datetime]
    expires_on: Mapped[date]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(20))


class CardPhoto(RecordMixin, Base):
    """The holder's photo, re-encoded and stripped of metadata; it outlives a replaced card."""

    __tablename__ = "card_photos"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), unique=True)
    media_type: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    updated_at: Mapped[datetime]


class CardDevice(RecordMixin, Base):
    """A resident's phone that signs its card's tokens itself, so the QR keeps rotating offline.

    It holds the public half of an ES256 key made on the phone (the private half never leaves
    it) and the secret its typed codes are derived from, sealed at rest. One row per key: a phone
    that makes a new key is a new device. Registered at ``created_at``; a revoked device's tokens
    and codes are refused from ``revoked_at`` on. The devices of a replaced card stay with it.
    """

    __tablename__ = "card_devices"

    card_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cards.id"), index=True)
    kid: Mapped[str] = mapped_column(String(24), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    # The public point (base64url of 32 bytes each), as a JWK writes it.
    public_x: Mapped[str] = mapped_column(String(43))
    public_y: Mapped[str] = mapped_column(String(43))
    # The first half of every code the device shows: how a typed code finds its device.
    code_prefix: Mapped[str] = mapped_column(String(6), index=True)
    # AES-256-GCM under a key derived from TOSHAV_CREDENTIAL_KEY, bound to the kid; never in clear.
    code_secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class CardCodeMisses(RecordMixin, Base):
    """Wrong typed codes one verifier (a business, a staff login) entered in one clock hour."""

    __tablename__ = "card_code_misses"
    __table_args__ = (UniqueConstraint("verifier", "window_start"),)

    verifier: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[datetime]
    misses: Mapped[int]
