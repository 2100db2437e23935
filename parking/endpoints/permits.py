"""A resident's permits: applying, listing, one with its reasons, cancelling."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import responses
from kernel.kit.language import RequestLanguage
from parking.endpoints.answers import permit_out
from parking.endpoints.dependencies import AUTH, Desk
from parking.exceptions import (
    InvalidPlate,
    NoResidentRecord,
    PermitAlreadyActive,
    PermitNotActive,
    PermitNotFound,
)
from parking.schemas import PermitApply, PermitOut
from parking.service import permits, vehicles
from parking.settings import ParkingAppSettings
from resident_card.accounts.dependencies import ResidentCaller
from resident_card.credentials.dependencies import AppKeyring
from resident_card.credentials.exceptions import NoSigningKey, SigningKeyUnreadable

router = APIRouter(prefix="/parking", tags=["parking"])


@router.post(
    "/permits",
    response_model=PermitOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        *AUTH,
        NoResidentRecord,
        InvalidPlate,
        PermitAlreadyActive,
        NoSigningKey,
        SigningKeyUnreadable,
    ),
)
def apply_for_permit(
    body: PermitApply,
    caller: ResidentCaller,
    session: DbSession,
    settings: ParkingAppSettings,
    keyring: AppKeyring,
    now: Now,
    language: RequestLanguage,
    desk: Desk,
) -> PermitOut:
    """Apply for a resident parking permit: granted (with its pass) or refused, with the reasons either way."""
    resident = vehicles.own_resident(session, caller.id)
    view = permits.apply_for_permit(session, settings, keyring, resident, plate=body.plate, now=now)
    desk.cache.feed.changed_here("parking")  # applying ends the permits of a zone the resident left
    return permit_out(view, language, settings)


@router.get(
    "/permits/me", response_model=list[PermitOut], responses=responses(*AUTH, NoResidentRecord)
)
def my_permits(
    caller: ResidentCaller,
    session: DbSession,
    now: Now,
    language: RequestLanguage,
    settings: ParkingAppSettings,
) -> list[PermitOut]:
    """My permits and applications, newest first: zone, plate, validity, status, and the pass of each one in force."""
    resident = vehicles.own_resident(session, caller.id)
    return [
        permit_out(view, language, settings)
        for view in permits.my_permits(session, resident, now=now)
    ]


@router.get(
    "/permits/{permit_id}",
    response_model=PermitOut,
    responses=responses(*AUTH, NoResidentRecord, PermitNotFound),
)
def my_permit(
    permit_id: uuid.UUID,
    caller: ResidentCaller,
    session: DbSession,
    now: Now,
    language: RequestLanguage,
    settings: ParkingAppSettings,
) -> PermitOut:
    """One of my permits, with the decision's reasons."""
    resident = vehicles.own_resident(session, caller.id)
    return permit_out(permits.my_permit(session, resident, permit_id, now=now), language, settings)


@router.post(
    "/permits/{permit_id}/cancel",
    response_model=PermitOut,
    responses=responses(*AUTH, NoResidentRecord, PermitNotFound, PermitNotActive),
)
def cancel_permit(
    permit_id: uuid.UUID,
    caller: ResidentCaller,
    session: DbSession,
    now: Now,
    language: RequestLanguage,
    settings: ParkingAppSettings,
    desk: Desk,
) -> PermitOut:
    """Cancel one of my permits: its pass is revoked at once."""
    resident = vehicles.own_resident(session, caller.id)
    view = permits.cancel_permit(session, resident, permit_id, now=now)
    desk.cache.feed.changed_here("parking")
    return permit_out(view, language, settings)
