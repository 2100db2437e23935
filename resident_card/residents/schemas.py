"""What the residents API takes and gives. Identifiers come in once and only ever go out masked."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from kernel.i18n import Language
from kernel.kit.integers import WholeNumber
from kernel.kit.pagination import Page
from resident_card.city.schemas import Names, NeighbourhoodOut
from resident_card.residents.identifiers import IdentifierKind
from resident_card.residents.models import ClaimState, ResidencyStatus, WardRelation

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_PHONE = re.compile(r"^\+?[0-9]{9,15}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_phone(value: str) -> str | None:
    """Digits with an optional leading +; None when it cannot be a phone number."""
    cleaned = _PHONE_SEPARATORS.sub("", value)
    return cleaned if _PHONE.match(cleaned) else None


def normalise_name(value: str) -> str:
    """Spaces trimmed and collapsed; control characters refused."""
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


def _phone(value: str) -> str:
    normalised = normalise_phone(value)
    if normalised is None:
        raise ValueError("a phone number of 9 to 15 digits, optionally starting with +")
    return normalised


def _reason(value: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


PersonName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(normalise_name)]
Phone = Annotated[str, Field(min_length=1, max_length=30), AfterValidator(_phone)]
Reason = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_reason)]


class IdentifierIn(BaseModel):
    """An ID number, or a passport / foster-care / other reference for people without one."""

    model_config = ConfigDict(extra="forbid")

    kind: IdentifierKind
    # Never echoed: left out of repr so it cannot reach a log through one.
    value: str = Field(min_length=1, max_length=40, repr=False)


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=150, pattern=r"^[A-Za-z0-9._@+\-]+$")
    password: str = Field(min_length=1, max_length=1024, repr=False)
    first_name: PersonName
    last_name: PersonName
    date_of_birth: date
    street_code: str = Field(min_length=1, max_length=32)
    house_number: WholeNumber = Field(ge=1, le=9999)
    apartment: str | None = Field(default=None, min_length=1, max_length=10)
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: Phone | None = None
    identifier: IdentifierIn
    preferred_language: Language | None = None


class ContactIn(BaseModel):
    """A change of my contact details: a field left out stays as it is; ``phone: null`` clears it.

    A new email is mine once I open the link sent to it.
    """

    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = Field(default=None, max_length=254)
    phone: Phone | None = None

    @model_validator(mode="after")
    def _email_not_null(self) -> Self:
        if "email" in self.model_fields_set and self.email is None:
            raise ValueError("email cannot be cleared; give a new address")
        return self


class EmailConfirmationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Ours are 43 characters of base64url; anything else cannot be one.
    token: str = Field(min_length=1, max_length=512, pattern=r"^[A-Za-z0-9_-]+$", repr=False)


class ContactOut(BaseModel):
    email: str | None
    phone: str | None
    pending_email: str | None = Field(description="a new email waiting for its link to be opened")
    pending_email_expires_at: datetime | None


class WardIn(BaseModel):
    """A child or foster child joining the guardian's household."""

    model_config = ConfigDict(extra="forbid")

    first_name: PersonName
    last_name: PersonName
    date_of_birth: date
    relation: WardRelation
    identifier: IdentifierIn


class StatusChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ResidencyStatus
    reason: Reason


class DisabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    disability: bool
    reason: Reason


class AddressChangeIn(BaseModel):
    """A clerk's change of a resident's address within the city, with the reason for it."""

    model_config = ConfigDict(extra="forbid")

    street_code: str = Field(min_length=1, max_length=32)
    house_number: WholeNumber = Field(ge=1, le=9999)
    apartment: str | None = Field(default=None, min_length=1, max_length=10)
    reason: Reason


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: IdentifierIn


class IdentifierOut(BaseModel):
    kind: IdentifierKind
    masked: str = Field(examples=["•••••• 782"])


class AddressOut(BaseModel):
    street_code: str
    street: Names
    house_number: int
    apartment: str | None
    neighbourhood: NeighbourhoodOut | None


class StatusChangeOut(BaseModel):
    from_status: ResidencyStatus | None
    to_status: ResidencyStatus
    reason: str
    at: datetime


class AdminStatusChangeOut(StatusChangeOut):
    actor_id: uuid.UUID | None


class HouseholdOut(BaseModel):
    id: uuid.UUID
    size: int = Field(description="residents living at the address (not moved out)")


class WardOut(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date
    relation: WardRelation
    status: ResidencyStatus
    identifier: IdentifierOut


class ResidentOut(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date
    address: AddressOut
    email: str | None
    phone: str | None
    status: ResidencyStatus
    identifier: IdentifierOut
    disability: bool
    resident_since: date | None
    household: HouseholdOut
    status_history: list[StatusChangeOut]
    wards: list[WardOut]


class ClaimOut(BaseModel):
    """This enrolment gave an identifier another resident's record holds: a claim on that
    registered identity, for a clerk to decide. Nothing of the holder's is linked until then."""

    holder_id: uuid.UUID
    state: ClaimState
    # Whether the enrolment gave the holder's date of birth and address (street, house number).
    matches_record: bool
    decided_at: datetime | None
    reason: str | None


class ClaimDecisionIn(BaseModel):
    """Refuse the claim (the enrolment is refused), or accept it: the registered record passes to
    this enrolment's account (a lost account), and this enrolment's own record is closed."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["accepted", "refused"]
    reason: Reason


class AdminResidentOut(ResidentOut):
    user_id: uuid.UUID | None
    verified_at: datetime | None
    created_at: datetime
    status_history: list[AdminStatusChangeOut]  # type: ignore[assignment]
    claim: ClaimOut | None = None


class ResidentSummary(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date
    status: ResidencyStatus
    identifier: IdentifierOut
    has_user: bool
    created_at: datetime
    # The state of this enrolment's claim on a registered resident's identity, where it makes one.
    claim: ClaimState | None = None


class ResidentPage(Page[ResidentSummary]):
    pass
