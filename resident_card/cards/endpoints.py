"""The resident card: the wallet's view, the rotating QR, the photo, revocation, and verification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status

from kernel.clock import Now, Today
from kernel.database import DbSession
from kernel.errors import Forbidden, InvalidToken, NotAuthenticated, responses
from kernel.limits.gate import TooManyRequests, spend
from kernel.settings import AppSettings
from resident_card.accounts.dependencies import AdminCaller, ResidentCaller, StaffReader
from resident_card.accounts.models import Role
from resident_card.cards import service, verification
from resident_card.cards.exceptions import (
    CardAlreadyRevoked,
    CardNotActive,
    CardNotFound,
    InvalidCardTransition,
    InvalidPhoto,
    NoCard,
    PhotoNotFound,
    PhotoTooLarge,
)
from resident_card.cards.models import Card, CardPhoto, CardStatus, RevocationReason
from resident_card.cards.photos import MAX_PHOTO_BYTES, prepare_photo, too_large
from resident_card.cards.roles import VERIFIER_ROLES, CardRevoker, PhotoViewer, Verifier
from resident_card.cards.schemas import (
    CARD_REFERENCE,
    AdminCardOut,
    BenefitOut,
    CardOut,
    CardTokenOut,
    Label,
    RevokeIn,
    StatusNoteIn,
    VerifyIn,
    VerifyOut,
)
from resident_card.credentials.dependencies import AppKeyring
from resident_card.credentials.exceptions import NoSigningKey, SigningKeyUnreadable
from resident_card.credentials.qr import qr_png, qr_svg
from resident_card.residents.models import Resident
from resident_card.residents.service.records import city_today

router = APIRouter(tags=["cards"])

AUTH = (NotAuthenticated, InvalidToken, Forbidden)
MINTING = (CardNotActive, NoSigningKey, SigningKeyUnreadable)
Reference = Annotated[str, Path(pattern=CARD_REFERENCE, description="The card's reference.")]
NO_STORE = {"Cache-Control": "no-store"}


def photo_url(reference: str, digest: str | None) -> str | None:
    # The digest in the URL lets the photo be cached for long and still change at once.
    return f"/api/v1/cards/{reference}/photo?v={digest[:12]}" if digest else None


def _card_out(found: service.CardDetails) -> CardOut:
    card, resident = found.card, found.resident
    return CardOut(
        reference=card.reference,
        resident_id=resident.id,
        display_name=f"{resident.first_name} {resident.last_name}",
        photo_url=photo_url(card.reference, found.photo_digest),
        number=card.number,
        status=found.status,
        issued_at=card.issued_at,
        expires_on=card.expires_on,
        valid=found.status == CardStatus.active and not found.expired,
        is_ward=found.is_ward,
        benefits=[
            BenefitOut(
                code=line.code, label=Label(**line.label), balance=line.balance, unit=line.unit
            )
            for line in found.benefits
        ],
    )


def _admin_out(card: Card, resident: Resident) -> AdminCardOut:
    return AdminCardOut(
        reference=card.reference,
        resident_id=card.resident_id,
        number=card.number,
        status=service.effective_status(card, resident),
        stored_status=CardStatus(card.status),
        issued_at=card.issued_at,
        expires_on=card.expires_on,
        revoked_at=card.revoked_at,
        revocation_reason=RevocationReason(card.revocation_reason)
        if card.revocation_reason
        else None,
    )


def _token(
    session: DbSession,
    settings: AppSettings,
    keyring: AppKeyring,
    card: Card,
    resident: Resident,
    now: datetime,
) -> service.CardToken:
    return service.mint_token(session, settings, keyring, card, resident, now=now)


def _png(token: service.CardToken) -> Response:
    return Response(
        content=qr_png(token.token),
        media_type="image/png",
        headers={**NO_STORE, "X-Token-Expires-At": token.expires_at.isoformat()},
    )


def _svg(token: service.CardToken) -> Response:
    return Response(
        content=qr_svg(token.token),
        media_type="image/svg+xml",
        headers={**NO_STORE, "X-Token-Expires-At": token.expires_at.isoformat()},
    )


def _read_photo(photo: UploadFile) -> bytes:
    data = photo.file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise too_large()
    return data


def _photo_response(photo: CardPhoto) -> Response:
    return Response(
        content=photo.content,
        media_type=photo.media_type,
        headers={
            "Cache-Control": "private, max-age=86400",
            "ETag": f'"{photo.digest[:32]}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- the holder's own card ----------------------------------------------------------------------


@router.get("/cards/me", response_model=CardOut, responses=responses(*AUTH, NoCard))
def my_card(caller: ResidentCaller, session: DbSession, settings: AppSettings, now: Now) -> CardOut:
    """My resident card, with my benefits and balances; issued on first view once residency is verified."""
    card, resident = service.own_card(session, settings, caller.id, now=now)
    return _card_out(service.details(session, settings, card, resident, now=now))


@router.get("/cards/me/wards", response_model=list[CardOut], responses=responses(*AUTH, NoCard))
def my_wards_cards(
    caller: ResidentCaller, session: DbSession, settings: AppSettings, now: Now
) -> list[CardOut]:
    """The cards of the minors in my care (those whose residency is verified)."""
    guardian = service.own_resident(session, caller.id)
    return [
        _card_out(service.details(session, settings, card, ward, now=now, is_ward=True))
        for card, ward in service.ward_cards(session, settings, guardian, now=now)
    ]


@router.post(
    "/cards/me/token",
    response_model=CardTokenOut,
    responses=responses(*AUTH, NoCard, *MINTING, TooManyRequests),
)
def my_token(
    caller: ResidentCaller,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    keyring: AppKeyring,
    now: Now,
    response: Response,
) -> CardTokenOut:
    """A fresh signed token for my card's QR code, valid for about two minutes; the wallet draws the QR."""
    spend(request, "card_token", account=str(caller.id))
    card, resident = service.own_card(session, settings, caller.id, now=now)
    token = _token(session, settings, keyring, card, resident, now)
    response.headers.update(NO_STORE)
    return CardTokenOut(token=token.token, expires_at=token.expires_at)


@router.get(
    "/cards/me/qr.png",
    response_class=Response,
    responses={
        **responses(*AUTH, NoCard, *MINTING),
        200: {"content": {"image/png": {}}, "description": "The QR code of a fresh token."},
    },
)
def my_qr_png(
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    keyring: AppKeyring,
    now: Now,
) -> Response:
    """My card's QR code (PNG) of a fresh token."""
    card, resident = service.own_card(session, settings, caller.id, now=now)
    return _png(_token(session, settings, keyring, card, resident, now))


@router.get(
    "/cards/me/qr.svg",
    response_class=Response,
    responses={
        **responses(*AUTH, NoCard, *MINTING),
        200: {"content": {"image/svg+xml": {}}, "description": "The QR code of a fresh token."},
    },
)
def my_qr_svg(
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    keyring: AppKeyring,
    now: Now,
) -> Response:
    """My card's QR code (SVG) of a fresh token."""
    card, resident = service.own_card(session, settings, caller.id, now=now)
    return _svg(_token(session, settings, keyring, card, resident, now))


@router.put(
    "/cards/me/photo",
    response_model=CardOut,
    responses=responses(*AUTH, NoCard, InvalidPhoto, PhotoTooLarge),
)
def put_my_photo(
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    photo: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 5 MB.")],
) -> CardOut:
    """Put my card's photo (JPEG, PNG or WebP, ≤ 5 MB); it is resized and stripped of metadata."""
    card, resident = service.own_card(session, settings, caller.id, now=now)
    service.set_photo(session, resident, prepare_photo(_read_photo(photo)), now=now)
    return _card_out(service.details(session, settings, card, resident, now=now))


@router.delete(
    "/cards/me/photo",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NoCard, PhotoNotFound),
)
def delete_my_photo(caller: ResidentCaller, session: DbSession) -> Response:
    """Remove my card's photo."""
    service.remove_photo(session, service.own_resident(session, caller.id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/cards/me/revoke",
    response_model=CardOut,
    responses=responses(*AUTH, NoCard, CardAlreadyRevoked),
)
def revoke_my_card(
    body: RevokeIn, caller: ResidentCaller, session: DbSession, settings: AppSettings, now: Now
) -> CardOut:
    """Report my phone or card lost: the card is revoked and a new one, with a new number, is issued."""
    card, resident = service.own_card(session, settings, caller.id, now=now)
    replacement = service.revoke_card(
        session,
        settings,
        card,
        reason=RevocationReason(body.reason),
        now=now,
        actor_id=caller.id,
        note=body.note,
    )
    shown = replacement or card
    return _card_out(service.details(session, settings, shown, resident, now=now))


# --- verification -------------------------------------------------------------------------------


@router.post(
    "/cards/verify",
    response_model=VerifyOut,
    response_model_exclude_none=True,
    responses=responses(TooManyRequests),
)
def verify(
    body: VerifyIn,
    caller: Verifier,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> VerifyOut:
    """Check a scanned card token, and the card's status now; the answer shows what the caller's role may see."""
    spend(request, "card_verification", account=str(caller.id))
    check = verification.check_token(
        session, settings, body.token, verifier=f"user:{caller.id}", now=now
    )
    answer = VerifyOut(valid=check.valid, reason=check.reason)
    if check.card is None or check.resident is None:
        return answer
    card, resident = check.card, check.resident
    answer.status = check.status
    answer.token_expires_at = check.token_expires_at
    if check.valid:
        answer.photo_url = photo_url(card.reference, service.photo_digest(session, resident))
    if caller.has(Role.merchant, Role.admin):
        answer.eligible_resident = check.valid
        answer.age_band = (
            service.age_band(resident.date_of_birth, city_today(now, settings))
            if check.valid
            else None
        )
        answer.programmes = (
            service.programmes_for_merchant(session, resident, caller.id, now=now)
            if check.valid and caller.has(Role.merchant)
            else []
        )
    if caller.has(Role.admin):
        answer.card_number = card.number
        answer.card_expires_on = card.expires_on
    return answer


# --- the city's staff ---------------------------------------------------------------------------


@router.get("/cards", response_model=list[AdminCardOut], responses=responses(*AUTH, CardNotFound))
def resident_cards(
    caller: StaffReader,
    session: DbSession,
    resident_id: Annotated[uuid.UUID, Query(description="The resident whose cards to list.")],
) -> list[AdminCardOut]:
    """Every card a resident has held, newest first (staff)."""
    resident, cards = service.cards_of_resident(session, resident_id)
    return [_admin_out(card, resident) for card in cards]


@router.post(
    "/cards/{reference}/suspend",
    response_model=AdminCardOut,
    responses=responses(*AUTH, CardNotFound, InvalidCardTransition),
)
def suspend_card(
    reference: Reference, body: StatusNoteIn, caller: AdminCaller, session: DbSession, now: Now
) -> AdminCardOut:
    """Suspend a card (a clerk's decision, written to the audit log); it fails verification at once."""
    card, resident = service.admin_card(session, reference)
    card = service.set_card_status(
        session, card, status=CardStatus.suspended, now=now, actor_id=caller.id, note=body.note
    )
    return _admin_out(card, resident)


@router.post(
    "/cards/{reference}/reinstate",
    response_model=AdminCardOut,
    responses=responses(*AUTH, CardNotFound, InvalidCardTransition),
)
def reinstate_card(
    reference: Reference, body: StatusNoteIn, caller: AdminCaller, session: DbSession, now: Now
) -> AdminCardOut:
    """Lift a clerk's suspension of a card (written to the audit log)."""
    card, resident = service.admin_card(session, reference)
    card = service.set_card_status(
        session, card, status=CardStatus.active, now=now, actor_id=caller.id, note=body.note
    )
    return _admin_out(card, resident)


# --- a card by reference: its holder, their guardian (and staff where said) -----------------------


@router.get("/cards/{reference}", response_model=CardOut, responses=responses(*AUTH, CardNotFound))
def card(
    reference: Reference,
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    today: Today,
) -> CardOut:
    """A card I hold, or the card of a minor in my care."""
    found, resident, is_ward = service.card_for_holder(session, caller.id, reference, today=today)
    return _card_out(service.details(session, settings, found, resident, now=now, is_ward=is_ward))


@router.post(
    "/cards/{reference}/token",
    response_model=CardTokenOut,
    responses=responses(*AUTH, CardNotFound, *MINTING, TooManyRequests),
)
def card_token(
    reference: Reference,
    caller: ResidentCaller,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    keyring: AppKeyring,
    now: Now,
    response: Response,
    today: Today,
) -> CardTokenOut:
    """A fresh signed token for a card I hold or my ward's, for its QR code."""
    spend(request, "card_token", account=str(caller.id))
    found, resident, _ = service.card_for_holder(session, caller.id, reference, today=today)
    token = _token(session, settings, keyring, found, resident, now)
    response.headers.update(NO_STORE)
    return CardTokenOut(token=token.token, expires_at=token.expires_at)


@router.get(
    "/cards/{reference}/qr.png",
    response_class=Response,
    responses={
        **responses(*AUTH, CardNotFound, *MINTING),
        200: {"content": {"image/png": {}}, "description": "The QR code of a fresh token."},
    },
)
def card_qr_png(
    reference: Reference,
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    keyring: AppKeyring,
    now: Now,
    today: Today,
) -> Response:
    """The QR code (PNG) of a card I hold or my ward's."""
    found, resident, _ = service.card_for_holder(session, caller.id, reference, today=today)
    return _png(_token(session, settings, keyring, found, resident, now))


@router.get(
    "/cards/{reference}/qr.svg",
    response_class=Response,
    responses={
        **responses(*AUTH, CardNotFound, *MINTING),
        200: {"content": {"image/svg+xml": {}}, "description": "The QR code of a fresh token."},
    },
)
def card_qr_svg(
    reference: Reference,
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    keyring: AppKeyring,
    now: Now,
    today: Today,
) -> Response:
    """The QR code (SVG) of a card I hold or my ward's."""
    found, resident, _ = service.card_for_holder(session, caller.id, reference, today=today)
    return _svg(_token(session, settings, keyring, found, resident, now))


@router.put(
    "/cards/{reference}/photo",
    response_model=CardOut,
    responses=responses(*AUTH, CardNotFound, InvalidPhoto, PhotoTooLarge),
)
def put_card_photo(
    reference: Reference,
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    photo: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 5 MB.")],
    today: Today,
) -> CardOut:
    """Put the photo of a card I hold or my ward's (JPEG, PNG or WebP, ≤ 5 MB)."""
    found, resident, is_ward = service.card_for_holder(session, caller.id, reference, today=today)
    service.set_photo(session, resident, prepare_photo(_read_photo(photo)), now=now)
    return _card_out(service.details(session, settings, found, resident, now=now, is_ward=is_ward))


@router.delete(
    "/cards/{reference}/photo",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, CardNotFound, PhotoNotFound),
)
def delete_card_photo(
    reference: Reference, caller: ResidentCaller, session: DbSession, today: Today
) -> Response:
    """Remove the photo of a card I hold or my ward's."""
    _, resident, _ = service.card_for_holder(session, caller.id, reference, today=today)
    service.remove_photo(session, resident)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/cards/{reference}/photo",
    response_class=Response,
    responses={
        **responses(*AUTH, CardNotFound, PhotoNotFound),
        200: {"content": {"image/jpeg": {}}, "description": "The holder's photo."},
    },
)
def card_photo(
    reference: Reference, caller: PhotoViewer, session: DbSession, today: Today
) -> Response:
    """A card's photo, to match its holder: for the holder, their guardian, inspectors, merchants and clerks."""
    if caller.has(*VERIFIER_ROLES):
        return _photo_response(service.photo_for_verifier(session, reference))
    if not caller.has(Role.resident):
        raise Forbidden()
    _, resident, _ = service.card_for_holder(session, caller.id, reference, today=today)
    return _photo_response(service.photo_of(session, resident))


@router.post(
    "/cards/{reference}/revoke",
    response_model=AdminCardOut,
    responses=responses(*AUTH, CardNotFound, CardAlreadyRevoked),
)
def revoke_card(
    reference: Reference,
    body: RevokeIn,
    caller: CardRevoker,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    today: Today,
) -> AdminCardOut:
    """Revoke a card (mine, my ward's, or any, for a clerk) and issue its replacement; answers the replacement."""
    if caller.has(Role.admin):
        found, resident = service.admin_card(session, reference)
    elif caller.has(Role.resident):
        found, resident, _ = service.card_for_holder(session, caller.id, reference, today=today)
    else:
        raise Forbidden()
    replacement = service.revoke_card(
        session,
        settings,
        found,
        reason=RevocationReason(body.reason),
        now=now,
        actor_id=caller.id,
        note=body.note,
    )
    shown = replacement or found
    return _admin_out(shown, resident)
