"""The phones that sign the holder's card tokens: register one, list them, revoke one."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Header, Response, status

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import Forbidden, InvalidToken, NotAuthenticated, Unprocessable, responses
from kernel.settings import AppSettings
from resident_card.accounts.dependencies import ResidentCaller
from resident_card.cards import devices, service
from resident_card.cards.exceptions import (
    CardNotActive,
    DeviceNotFound,
    InvalidDeviceKey,
    NoCard,
    TooManyDevices,
)
from resident_card.cards.models import CardDevice
from resident_card.cards.schemas import DeviceIn, DeviceOut, RegisteredDeviceOut
from resident_card.credentials.jws import b64url

router = APIRouter(tags=["cards"])

AUTH = (NotAuthenticated, InvalidToken, Forbidden)
NO_STORE = {"Cache-Control": "no-store"}


def _out(device: CardDevice) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        kid=device.kid,
        label=device.label,
        registered_at=device.created_at,
        last_used_at=device.last_used_at,
    )


@router.post(
    "/cards/me/devices",
    response_model=RegisteredDeviceOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        *AUTH, NoCard, CardNotActive, InvalidDeviceKey, TooManyDevices, Unprocessable
    ),
)
def register_device(
    body: DeviceIn,
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    response: Response,
    user_agent: str | None = Header(default=None, include_in_schema=False),
) -> RegisteredDeviceOut:
    """Register this phone's public key (P-256, made on the phone) to my card, so the phone signs
    the card's QR tokens and codes itself, with no network. The answer holds the code secret: the
    only time it is given."""
    card, resident = service.own_card(session, settings, caller.id, now=now)
    registered = service.register_device(
        session,
        settings,
        card,
        resident,
        body.public_key.model_dump(),
        user_agent=user_agent,
        now=now,
        actor_id=caller.id,
    )
    response.headers.update(NO_STORE)
    device = registered.device
    return RegisteredDeviceOut(
        **_out(device).model_dump(),
        card_reference=card.reference,
        code_prefix=device.code_prefix,
        code_secret=b64url(registered.code_secret),
        token_lifetime_seconds=devices.TOKEN_LIFETIME,
        code_step_seconds=devices.CODE_STEP,
    )


@router.get("/cards/me/devices", response_model=list[DeviceOut], responses=responses(*AUTH, NoCard))
def my_devices(
    caller: ResidentCaller, session: DbSession, settings: AppSettings, now: Now
) -> list[DeviceOut]:
    """The phones that sign my card's tokens, the most recently registered first."""
    card, _ = service.own_card(session, settings, caller.id, now=now)
    return [_out(device) for device in devices.devices_of(session, card)]


@router.delete(
    "/cards/me/devices/{device_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(*AUTH, NoCard, DeviceNotFound),
)
def revoke_device(
    device_id: uuid.UUID,
    caller: ResidentCaller,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Response:
    """Revoke one of my phones (lost, sold): its tokens and codes are refused from now on."""
    card, _ = service.own_card(session, settings, caller.id, now=now)
    devices.revoke(session, card, device_id, now=now, actor_id=caller.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
