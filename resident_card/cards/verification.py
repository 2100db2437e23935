"""Verifying what a verifier scanned or typed: a card token the city signed, one the holder's
phone signed, or the code under the QR; then the card's status now. One judgement for all three,
used by every verifier (an inspector, a business at the till, a clerk). Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.cards import devices
from resident_card.cards.models import Card, CardStatus
from resident_card.cards.repository import CardRepository
from resident_card.cards.service import effective_status, is_expired
from resident_card.credentials import service as credentials
from resident_card.credentials.jws import Rejection, token_kid, verify_credential
from resident_card.residents.models import Resident
from resident_card.residents.service import records as residents

# The reasons a verification can fail beyond the token's own (credentials.jws.RejectionReason,
# and devices' unknown_device, device_revoked, wrong_card, wrong_code).
UNKNOWN_CARD = "unknown_card"
CARD_SUSPENDED = "card_suspended"
CARD_REVOKED = "card_revoked"
CARD_EXPIRED = "card_expired"


@dataclass(frozen=True)
class CardCheck:
    """What a scan found: valid or why not, and (when the signature held) the card behind it."""

    valid: bool
    reason: str | None
    token_expires_at: datetime | None = None
    jti: str | None = None  # the token's own id, for a use that must be counted once (a purchase)
    card: Card | None = None
    resident: Resident | None = None
    status: CardStatus | None = None
    expired: bool = False
    # A wrong typed code was counted against the verifier: keep that count though the use fails.
    counted_miss: bool = False


def check_token(
    session: Session, settings: Settings, token: str, *, verifier: str, now: datetime
) -> CardCheck:
    """Judge what a verifier scanned or typed, then the card's status now, online.

    Three forms, one judgement: a token the city signed (verified against the published keys), a
    token one of the card's registered phones signed (``devices.check_device_token``), or the
    12-digit code under the QR (``devices.check_code``: wrong ones are counted against
    ``verifier``, the business or login that typed them). The card behind any of them is then
    judged alike.
    """
    code = devices.as_code(token)
    if code is not None:
        return _card_check(
            session,
            settings,
            devices.check_code(session, settings, code, verifier=verifier, now=now),
            now=now,
        )
    if devices.is_device_kid(token_kid(token)):
        return _card_check(
            session, settings, devices.check_device_token(session, token, now=now), now=now
        )
    result = verify_credential(
        token,
        credentials.published_jwks(session),
        audience=settings.card_audience,
        now=now,
        leeway=settings.credential_leeway_seconds,
    )
    if isinstance(result, Rejection):
        return CardCheck(valid=False, reason=result.reason.value)
    found = CardRepository(session).by_reference_with_holder(result.subject)
    if found is None:
        return CardCheck(valid=False, reason=UNKNOWN_CARD, token_expires_at=result.expires_at)
    card, resident = found
    return _judged(session, settings, card, result.expires_at, result.jti, now=now, holder=resident)


def _card_check(
    session: Session,
    settings: Settings,
    found: devices.DeviceProof | devices.DeviceRefusal,
    *,
    now: datetime,
) -> CardCheck:
    if isinstance(found, devices.DeviceRefusal):
        return CardCheck(valid=False, reason=found.reason, counted_miss=found.counted_miss)
    card = session.get(Card, found.card_id)
    assert card is not None  # a foreign key keeps the card there
    return _judged(session, settings, card, found.expires_at, found.jti, now=now)


def _judged(
    session: Session,
    settings: Settings,
    card: Card,
    token_expires_at: datetime,
    jti: str | None,
    *,
    now: datetime,
    holder: Resident | None = None,
) -> CardCheck:
    resident = holder if holder is not None else residents.get_resident(session, card.resident_id)
    assert resident is not None  # a foreign key keeps the holder there
    status = effective_status(card, resident)
    expired = is_expired(card, residents.city_today(now, settings))
    reason = None
    if status == CardStatus.revoked:
        reason = CARD_REVOKED
    elif status == CardStatus.suspended:
        reason = CARD_SUSPENDED
    elif expired:
        reason = CARD_EXPIRED
    return CardCheck(
        valid=reason is None,
        reason=reason,
        token_expires_at=token_expires_at,
        jti=jti,
        card=card,
        resident=resident,
        status=status,
        expired=expired,
    )
