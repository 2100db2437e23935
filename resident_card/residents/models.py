"""Residents, the households they live in, who looks after which minor, every status change, and
the new email addresses waiting to be confirmed."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kernel.database import Base, RecordMixin
from resident_card.residents.identifiers import mask


class ResidencyStatus(StrEnum):
    pending = "pending"  # enrolled, waiting for a clerk to verify residency
    verified = "verified"
    suspended = "suspended"
    moved_out = "moved_out"
    rejected = "rejected"  # a pending enrolment a clerk refused


class ClaimState(StrEnum):
    open = "open"  # waiting for a clerk
    accepted = "accepted"  # the holder's record passed to the claimant's account
    refused = "refused"  # the claimant's enrolment refused; the holder's record untouched


class WardRelation(StrEnum):
    child = "child"
    foster_child = "foster_child"


class Household(RecordMixin, Base):
    """The residents at one address (street, house number, apartment)."""

    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("street_id", "house_number", "apartment"),)

    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    house_number: Mapped[int]
    # "" when the address has no apartment, so the address stays unique on every database.
    apartment: Mapped[str] = mapped_column(String(10), default="")


class Resident(RecordMixin, Base):
    __tablename__ = "residents"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'verified', 'suspended', 'moved_out', 'rejected')",
            name="status_known",
        ),
        CheckConstraint(
            "identifier_kind IN ('israeli_id', 'passport', 'foster_care', 'other')",
            name="identifier_kind_known",
        ),
        CheckConstraint("house_number >= 1", name="house_number_positive"),
    )

    # Minors added by a guardian, and residents imported from the registry, have no user yet.
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), unique=True, index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]

    street_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("streets.id"), index=True)
    house_number: Mapped[int]
    apartment: Mapped[str | None] = mapped_column(String(10))
    household_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("households.id"), index=True)

    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))

    # The identifier is never stored: its keyed hash for look-up, its last characters for display.
    identifier_kind: Mapped[str] = mapped_column(String(20))
    identifier_hash: Mapped[str] = mapped_column(String(64), unique=True)
    identifier_hint: Mapped[str] = mapped_column(String(3))

    status: Mapped[str] = mapped_column(
        String(20), default=ResidencyStatus.pending.value, index=True
    )
    verified_at: Mapped[datetime | None]
    resident_since: Mapped[date | None]
    disability: Mapped[bool] = mapped_column(default=False)

    @property
    def masked_identifier(self) -> str:
        return mask(self.identifier_hint)


class Guardianship(RecordMixin, Base):
    """An adult resident looks after a minor of their household and acts for them."""

    __tablename__ = "guardianships"
    __table_args__ = (
        UniqueConstraint("guardian_id", "ward_id"),
        CheckConstraint("relation IN ('child', 'foster_child')", name="relation_known"),
        CheckConstraint("guardian_id <> ward_id", name="not_self"),
    )

    guardian_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    ward_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20))


class StatusChange(RecordMixin, Base):
    """One change of a resident's residency status: from, to, why, by whom, when. Append-only."""

    __tablename__ = "resident_status_changes"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]


class EmailChange(RecordMixin, Base):
    """A new email address a resident asked for, waiting for the one-time link sent to it.

    Only the hash of the link's token is kept. The address becomes the resident's when the link is
    used, once, before ``expires_at``, while it is the newest request (a new one supersedes it).
    """

    __tablename__ = "email_changes"
    __table_args__ = (
        Index("ix_email_changes_resident_id_created_at", "resident_id", "created_at"),
    )

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    new_email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    superseded_at: Mapped[datetime | None]


class IdentityClaim(RecordMixin, Base):
    """An enrolment that gave an identifier another resident's record already holds.

    The enrolment is answered as any new one: a pending record of its own (``claimant``), whose
    identifier hash is a stand-in, so the holder's record keeps the identifier and nothing of it
    is linked to the claimant's account until a clerk decides. Accepted (a lost account), the
    holder's record passes to the claimant's account and the claimant's own record is closed;
    refused, the claimant's enrolment is refused. Either way the claimant's record ends rejected.
    """

    __tablename__ = "identity_claims"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'accepted', 'refused')", name="state_known"),
        CheckConstraint("claimant_id <> holder_id", name="not_self"),
    )

    claimant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), unique=True)
    holder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id"), index=True)
    # Whether the enrolment gave the holder's date of birth and address (street, house number).
    matches_record: Mapped[bool]
    state: Mapped[str] = mapped_column(String(10), default=ClaimState.open.value, index=True)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    # When the holder's accounts were told. The worker tells them (``residents.tell_holders``), so
    # the enrolment's answer takes as long as a new one's.
    holder_told_at: Mapped[datetime | None]
