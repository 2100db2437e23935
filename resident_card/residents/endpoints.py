"""Residents: enrolment, my record, my contact details and my household's minors, and the clerk's
residency desk."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.orm import Session

from kernel.clock import Now, Today
from kernel.database import DbSession
from kernel.errors import Forbidden, NotAuthenticated, Unprocessable, responses
from kernel.kit.pagination import PaginationQuery
from kernel.limits.gate import TooManyRequests, spend
from kernel.settings import AppSettings
from resident_card.accounts.dependencies import AdminCaller, ResidentCaller, StaffReader
from resident_card.accounts.exceptions import UsernameTaken, WeakPassword
from resident_card.city.schemas import Names, NeighbourhoodOut
from resident_card.residents.exceptions import (
    AddressOutsideCity,
    AlreadyAWard,
    ClaimOpen,
    ContactRequired,
    DateOfBirthInFuture,
    EmailTokenInvalid,
    GuardianMustBeAdult,
    GuardianNotActive,
    IdentifierTaken,
    InvalidIdentifier,
    InvalidIdNumber,
    InvalidTransition,
    NoOpenClaim,
    NotAResidentToMove,
    ResidentNotFound,
    SameAddress,
    TooManyEmailChanges,
    TooYoungToEnrol,
    UnknownStreet,
    WardNotMinor,
)
from resident_card.residents.models import (
    ClaimState,
    IdentityClaim,
    ResidencyStatus,
    Resident,
    WardRelation,
)
from resident_card.residents.schemas import (
    AddressChangeIn,
    AddressOut,
    AdminResidentOut,
    AdminStatusChangeOut,
    ClaimDecisionIn,
    ClaimOut,
    ContactIn,
    ContactOut,
    DisabilityIn,
    EmailConfirmationIn,
    EnrolmentIn,
    HouseholdOut,
    IdentifierOut,
    LookupIn,
    ResidentOut,
    ResidentPage,
    ResidentSummary,
    StatusChangeIn,
    StatusChangeOut,
    WardIn,
    WardOut,
)
from resident_card.residents.service import (
    claims,
    contact,
    enrolment,
    moves,
    records,
    residency,
    wards,
)

router = APIRouter(tags=["residents"])
AUTH = (NotAuthenticated, Forbidden)


def _identifier(resident: Resident) -> IdentifierOut:
    return IdentifierOut(kind=resident.identifier_kind, masked=resident.masked_identifier)


def _ward(ward: Resident, relation: str) -> WardOut:
    return WardOut(
        id=ward.id,
        first_name=ward.first_name,
        last_name=ward.last_name,
        date_of_birth=ward.date_of_birth,
        relation=WardRelation(relation),
        status=ResidencyStatus(ward.status),
        identifier=_identifier(ward),
    )


def _resident_fields(found: records.ResidentDetails) -> dict[str, object]:
    resident = found.resident
    neighbourhood = found.neighbourhood
    return {
        "id": resident.id,
        "first_name": resident.first_name,
        "last_name": resident.last_name,
        "date_of_birth": resident.date_of_birth,
        "address": AddressOut(
            street_code=found.street.code,
            street=Names(**found.street.names),
            house_number=resident.house_number,
            apartment=resident.apartment,
            neighbourhood=NeighbourhoodOut(
                code=neighbourhood.code, names=Names(**neighbourhood.names)
            )
            if neighbourhood is not None
            else None,
        ),
        "email": resident.email,
        "phone": resident.phone,
        "status": resident.status,
        "identifier": _identifier(resident),
        "disability": resident.disability,
        "resident_since": resident.resident_since,
        "household": HouseholdOut(id=resident.household_id, size=found.household_size),
        "wards": [_ward(ward, relation) for ward, relation in found.wards],
    }


def _resident_out(found: records.ResidentDetails) -> ResidentOut:
    history = [
        StatusChangeOut(from_status=c.from_status, to_status=c.to_status, reason=c.reason, at=c.at)
        for c in found.history
    ]
    return ResidentOut.model_validate({**_resident_fields(found), "status_history": history})


def _claim_out(claim: IdentityClaim | None) -> ClaimOut | None:
    if claim is None:
        return None
    return ClaimOut(
        holder_id=claim.holder_id,
        state=ClaimState(claim.state),
        matches_record=claim.matches_record,
        decided_at=claim.decided_at,
        reason=claim.reason,
    )


def _admin_out(session: Session, found: records.ResidentDetails) -> AdminResidentOut:
    resident = found.resident
    history = [
        AdminStatusChangeOut(
            from_status=c.from_status,
            to_status=c.to_status,
            reason=c.reason,
            at=c.at,
            actor_id=c.actor_id,
        )
        for c in found.history
    ]
    return AdminResidentOut.model_validate(
        {
            **_resident_fields(found),
            "status_history": history,
            "user_id": resident.user_id,
            "verified_at": resident.verified_at,
            "created_at": resident.created_at,
            "claim": _claim_out(claims.claim_of(session, resident.id)),
        }
    )


# --- residents ----------------------------------------------------------------------------------


@router.post(
    "/residents",
    response_model=ResidentOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        InvalidIdNumber,
        InvalidIdentifier,
        UnknownStreet,
        TooYoungToEnrol,
        DateOfBirthInFuture,
        ContactRequired,
        WeakPassword,
        IdentifierTaken,  # only when a concurrent enrolment races this one twice
        UsernameTaken,
        TooManyRequests,
        Unprocessable,
    ),
)
def enrol(
    body: EnrolmentIn,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    today: Today,
) -> ResidentOut:
    """Enrol: a resident account and record, pending until the city verifies residency."""
    # Counted by the identity claimed, too (as typed, less spaces and dashes): one ID number tried
    # from many addresses.
    claimed = "".join(ch for ch in body.identifier.value if ch.isalnum()).upper()
    spend(request, "enrolment", account=f"{body.identifier.kind}:{claimed}")
    resident = enrolment.enrol(
        session,
        settings,
        enrolment.Enrolment(
            username=body.username,
            password=body.password,
            person=records.Person(
                first_name=body.first_name,
                last_name=body.last_name,
                date_of_birth=body.date_of_birth,
                identifier_kind=body.identifier.kind,
                identifier_value=body.identifier.value,
            ),
            address=records.Address(body.street_code, body.house_number, body.apartment),
            email=body.email,
            phone=body.phone,
            preferred_language=body.preferred_language,
        ),
        now,
    )
    return _resident_out(records.details(session, resident, today=today))


@router.get(
    "/residents/me", response_model=ResidentOut, responses=responses(*AUTH, ResidentNotFound)
)
def my_record(caller: ResidentCaller, session: DbSession, today: Today) -> ResidentOut:
    """My resident record: status and its history, address, household and the minors in my care."""
    resident = records.own_resident(session, caller.id)
    return _resident_out(records.details(session, resident, today=today))


def _contact_out(found: contact.Contact) -> ContactOut:
    return ContactOut(
        email=found.email,
        phone=found.phone,
        pending_email=found.pending_email,
        pending_email_expires_at=found.pending_email_expires_at,
    )


@router.get(
    "/residents/me/contact",
    response_model=ContactOut,
    responses=responses(*AUTH, ResidentNotFound),
)
def my_contact(caller: ResidentCaller, session: DbSession, now: Now) -> ContactOut:
    """My email and phone, and a new email waiting for its link to be opened."""
    resident = records.own_resident(session, caller.id)
    return _contact_out(contact.contact_of(session, resident, now))


@router.patch(
    "/residents/me/contact",
    response_model=ContactOut,
    responses=responses(
        *AUTH, ResidentNotFound, ContactRequired, TooManyEmailChanges, Unprocessable
    ),
)
def change_my_contact(
    body: ContactIn, caller: ResidentCaller, session: DbSession, now: Now
) -> ContactOut:
    """Change my phone (at once) or my email (once I open the link sent to the new address)."""
    resident = records.own_resident(session, caller.id)
    change = contact.ContactChange(
        email=body.email, phone=body.phone, phone_given="phone" in body.model_fields_set
    )
    return _contact_out(contact.change_contact(session, resident, change, now))


@router.post(
    "/residents/me/contact/confirm-email",
    response_model=ContactOut,
    responses=responses(*AUTH, ResidentNotFound, EmailTokenInvalid, Unprocessable),
)
def confirm_my_email(
    body: EmailConfirmationIn, caller: ResidentCaller, session: DbSession, now: Now
) -> ContactOut:
    """Make my new email mine, with the token of the link sent to it."""
    resident = records.own_resident(session, caller.id)
    return _contact_out(contact.confirm_email(session, resident, body.token, now))


@router.get(
    "/residents/me/wards",
    response_model=list[WardOut],
    responses=responses(*AUTH, ResidentNotFound),
)
def my_wards(caller: ResidentCaller, session: DbSession, today: Today) -> list[WardOut]:
    """The minors in my care (children and foster children)."""
    resident = records.own_resident(session, caller.id)
    relations = wards.ward_relations(session, resident)
    return [
        _ward(ward, relations[ward.id]) for ward in records.wards_of(session, resident, today=today)
    ]


@router.post(
    "/residents/me/wards",
    response_model=WardOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        *AUTH,
        ResidentNotFound,
        GuardianMustBeAdult,
        GuardianNotActive,
        WardNotMinor,
        DateOfBirthInFuture,
        InvalidIdNumber,
        InvalidIdentifier,
        IdentifierTaken,
        AlreadyAWard,
        Unprocessable,
    ),
)
def add_ward(
    body: WardIn, caller: ResidentCaller, session: DbSession, settings: AppSettings, now: Now
) -> WardOut:
    """Add a child or foster child to my household; I act for them."""
    guardian = records.own_resident(session, caller.id)
    ward = wards.add_ward(
        session,
        settings,
        guardian,
        person=records.Person(
            first_name=body.first_name,
            last_name=body.last_name,
            date_of_birth=body.date_of_birth,
            identifier_kind=body.identifier.kind,
            identifier_value=body.identifier.value,
        ),
        relation=body.relation,
        actor_id=caller.id,
        now=now,
    )
    return _ward(ward, body.relation.value)


@router.get(
    "/residents/{resident_id}",
    response_model=ResidentOut,
    responses=responses(*AUTH, ResidentNotFound, Unprocessable),
)
def resident(
    resident_id: uuid.UUID, caller: ResidentCaller, session: DbSession, today: Today
) -> ResidentOut:
    """A resident record I may see: my own, or a minor's in my care."""
    actor = records.own_resident(session, caller.id)
    found = records.resident_visible_to(session, actor, resident_id, today=today)
    return _resident_out(records.details(session, found, today=today))


# --- the clerk's desk ---------------------------------------------------------------------------


@router.get(
    "/admin/residents", response_model=ResidentPage, responses=responses(*AUTH, Unprocessable)
)
def list_residents(
    caller: StaffReader,
    session: DbSession,
    pagination: PaginationQuery,
    status_: Annotated[ResidencyStatus | None, Query(alias="status")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="part of a name, email or phone")
    ] = None,
) -> ResidentPage:
    """Residents by status and name, email or phone (admin, auditor)."""
    rows, total = residency.search(
        session, status=status_, text=q, limit=pagination.limit, offset=pagination.offset
    )
    claimed = claims.states_of(session, [r.id for r in rows])
    return ResidentPage.of(
        [
            ResidentSummary(
                id=r.id,
                first_name=r.first_name,
                last_name=r.last_name,
                date_of_birth=r.date_of_birth,
                status=ResidencyStatus(r.status),
                identifier=_identifier(r),
                has_user=r.user_id is not None,
                created_at=r.created_at,
                claim=ClaimState(claimed[r.id]) if r.id in claimed else None,
            )
            for r in rows
        ],
        total=total,
        pagination=pagination,
    )


@router.post(
    "/admin/residents/lookup",
    response_model=AdminResidentOut,
    responses=responses(*AUTH, ResidentNotFound, InvalidIdNumber, InvalidIdentifier, Unprocessable),
)
def lookup(
    body: LookupIn,
    caller: AdminCaller,
    session: DbSession,
    settings: AppSettings,
    today: Today,
) -> AdminResidentOut:
    """Find a resident by ID number or other identifier (admin; the look-up is audited)."""
    found = residency.lookup(
        session,
        settings,
        kind=body.identifier.kind,
        value=body.identifier.value,
        actor_id=caller.id,
    )
    return _admin_out(session, records.details(session, found, today=today))


@router.get(
    "/admin/residents/{resident_id}",
    response_model=AdminResidentOut,
    responses=responses(*AUTH, ResidentNotFound, Unprocessable),
)
def admin_resident(
    resident_id: uuid.UUID,
    caller: StaffReader,
    session: DbSession,
    today: Today,
) -> AdminResidentOut:
    """One resident's full record and status history (admin, auditor)."""
    return _admin_out(
        session,
        records.details(session, residency.admin_resident(session, resident_id), today=today),
    )


@router.post(
    "/admin/residents/{resident_id}/status",
    response_model=AdminResidentOut,
    responses=responses(*AUTH, ResidentNotFound, InvalidTransition, ClaimOpen, Unprocessable),
)
def change_status(
    resident_id: uuid.UUID,
    body: StatusChangeIn,
    caller: AdminCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    today: Today,
) -> AdminResidentOut:
    """Verify, reject, suspend, reinstate or move out a resident, with a reason (admin; audited)."""
    changed = residency.change_status(
        session,
        settings,
        resident_id=resident_id,
        status=body.status,
        reason=body.reason,
        actor_id=caller.id,
        now=now,
    )
    return _admin_out(session, records.details(session, changed, today=today))


@router.post(
    "/admin/residents/{resident_id}/claim",
    response_model=AdminResidentOut,
    responses=responses(*AUTH, ResidentNotFound, NoOpenClaim, Unprocessable),
)
def decide_claim(
    resident_id: uuid.UUID,
    body: ClaimDecisionIn,
    caller: AdminCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    today: Today,
) -> AdminResidentOut:
    """Decide an enrolment's claim on a registered identity: refuse it, or pass the registered
    record to the enrolment's account (a lost account), with a reason (admin; audited)."""
    decided = claims.decide(
        session,
        settings,
        claimant_id=resident_id,
        accept=body.decision == "accepted",
        reason=body.reason,
        actor_id=caller.id,
        now=now,
    )
    return _admin_out(session, records.details(session, decided, today=today))


@router.put(
    "/admin/residents/{resident_id}/disability",
    response_model=AdminResidentOut,
    responses=responses(*AUTH, ResidentNotFound, Unprocessable),
)
def set_disability(
    resident_id: uuid.UUID,
    body: DisabilityIn,
    caller: AdminCaller,
    session: DbSession,
    today: Today,
) -> AdminResidentOut:
    """Set or clear a resident's disability flag, with a reason (admin; audited)."""
    changed = residency.set_disability(
        session,
        resident_id=resident_id,
        disability=body.disability,
        reason=body.reason,
        actor_id=caller.id,
    )
    return _admin_out(session, records.details(session, changed, today=today))


@router.post(
    "/admin/residents/{resident_id}/address",
    response_model=AdminResidentOut,
    responses=responses(
        *AUTH,
        ResidentNotFound,
        NotAResidentToMove,
        UnknownStreet,
        AddressOutsideCity,
        SameAddress,
        Unprocessable,
    ),
)
def change_address(
    resident_id: uuid.UUID,
    body: AddressChangeIn,
    caller: AdminCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    today: Today,
) -> AdminResidentOut:
    """Move a resident, and the minors in their care living with them, to a new address in the
    city, with a reason (admin; audited). Their benefits and permits follow at once."""
    moved = moves.change_address(
        session,
        settings,
        resident_id=resident_id,
        address=records.Address(
            street_code=body.street_code, house_number=body.house_number, apartment=body.apartment
        ),
        reason=body.reason,
        actor_id=caller.id,
        now=now,
    )
    return _admin_out(session, records.details(session, moved, today=today))
