"""The rules of resident cards: issue, renew, revoke and reissue, suspend, the rotating QR token,
verification by inspectors and merchants, and the holder's photo. Never commits.

Issuance: a verified resident's card is issued the first time it is asked for (``GET /cards/me``,
a guardian's ``GET /cards/me/wards``, or any use of the card), and renewed the same way once it has
expired. No hook in the residents' rules is needed, and a resident verified by any path (a clerk, the
registry import) gets a card the same way.

Status: the stored status (active, suspended by a clerk, revoked) is combined with the resident's
residency: a suspended resident's card reads as suspended, and a moved-out (or rejected) resident's
card as revoked. A card that is not active mints no token and fails verification, even if a token
it minted earlier still carries a valid signature.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.audit import service as audit
from resident_card.cards import devices
from resident_card.cards.exceptions import (
    CardAlreadyRevoked,
    CardNotActive,
    CardNotFound,
    InvalidCardTransition,
    NoCard,
    PhotoNotFound,
)
from resident_card.cards.models import Card, CardPhoto, CardStatus, RevocationReason
from resident_card.cards.photos import PreparedPhoto
from resident_card.cards.repository import CardPhotoRepository, CardRepository
from resident_card.cards.summary import BenefitLine, benefit_summary, merchant_programmes
from resident_card.credentials.jws import b64url
from resident_card.credentials.service import Keyring
from resident_card.residents.models import ResidencyStatus, Resident
from resident_card.residents.repository import ResidentRepository
from resident_card.residents.service import records as residents

CARD_NUMBER_LENGTH = 10  # nine random digits and a Luhn check digit
REFERENCE_BYTES = 9  # 12 base64url characters: the token's sub, and the card's address in the API
AGE_BANDS: tuple[tuple[int, str], ...] = ((65, "65+"), (18, "18-64"), (0, "0-17"))


# --- numbers and references ---------------------------------------------------------------------


def luhn_check_digit(digits: str) -> int:
    """The Luhn digit that makes ``digits`` + it pass: catches any one wrong digit and most swaps."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def is_valid_card_number(number: str) -> bool:
    return (
        len(number) == CARD_NUMBER_LENGTH
        and number.isascii()
        and number.isdigit()
        and luhn_check_digit(number[:-1]) == int(number[-1])
    )


def _new_number(repository: CardRepository) -> str:
    while True:
        body = str(
            secrets.randbelow(9 * 10 ** (CARD_NUMBER_LENGTH - 2)) + 10 ** (CARD_NUMBER_LENGTH - 2)
        )
        number = body + str(luhn_check_digit(body))
        if not repository.number_taken(number):
            return number


def _new_reference(repository: CardRepository) -> str:
    while True:
        reference = b64url(secrets.token_bytes(REFERENCE_BYTES))
        if not repository.reference_taken(reference):
            return reference


# --- status and validity ------------------------------------------------------------------------


def effective_status(card: Card, resident: Resident) -> CardStatus:
    """The card's status as verifiers must see it: its own, and its holder's residency."""
    if card.status == CardStatus.revoked or resident.status in (
        ResidencyStatus.moved_out,
        ResidencyStatus.rejected,
    ):
        return CardStatus.revoked
    if card.status == CardStatus.suspended or resident.status != ResidencyStatus.verified:
        return CardStatus.suspended
    return CardStatus.active


def is_expired(card: Card, today: date) -> bool:
    return card.expires_on < today


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)


def age_band(date_of_birth: date, today: date) -> str:
    age = residents.age_on(date_of_birth, today)
    return next(band for minimum, band in AGE_BANDS if age >= minimum)


# --- issuing, renewing, revoking ----------------------------------------------------------------


def issue_card(
    session: Session,
    settings: Settings,
    resident: Resident,
    *,
    now: datetime,
    status: CardStatus = CardStatus.active,
) -> Card:
    """A new card for a resident who has no current one (the database refuses a second)."""
    repository = CardRepository(session)
    return repository.add(
        Card(
            resident_id=resident.id,
            number=_new_number(repository),
            reference=_new_reference(repository),
            status=status.value,
            issued_at=now,
            expires_on=_years_later(
                residents.city_today(now, settings), settings.card_validity_years
            ),
            # created_at keeps its real-time default: it orders a card and its same-instant replacement.
        )
    )


def _revoke(card: Card, reason: RevocationReason, now: datetime) -> None:
    card.status = CardStatus.revoked.value
    card.revoked_at = now
    card.revocation_reason = reason.value


def current_card(
    session: Session, settings: Settings, resident: Resident, *, now: datetime
) -> Card | None:
    """The resident's card, issued on first need for a verified resident, renewed once expired.

    A resident whose cards were all revoked (one who moved out, say) sees the last of them.
    """
    repository = CardRepository(session)
    card = repository.current_of(resident.id)
    today = residents.city_today(now, settings)
    verified = resident.status == ResidencyStatus.verified
    if card is not None and (not verified or not is_expired(card, today)):
        return card
    if not verified:
        history = repository.of_resident(resident.id)
        return history[0] if history else None
    # Issue (or renew) under a lock on the resident, so two first requests make one card.
    ResidentRepository(session).get_for_update(resident.id)
    card = repository.current_of(resident.id)
    if card is not None and not is_expired(card, today):
        return card
    status = CardStatus.active
    if card is not None:
        status = CardStatus(card.status)  # a clerk's suspension outlives the renewal
        _revoke(card, RevocationReason.expired, now)
        session.flush()
    return issue_card(session, settings, resident, now=now, status=status)


def revoke_card(
    session: Session,
    settings: Settings,
    card: Card,
    *,
    reason: RevocationReason,
    now: datetime,
    actor_id: uuid.UUID | None,
    note: str | None = None,
) -> Card | None:
    """Revoke a card (lost phone, stolen card, a clerk's decision) and issue its replacement.

    The replacement has a new number and a new reference, so no token of the old card verifies
    online again. A card suspended by a clerk is replaced suspended. A resident who moved out, or
    was rejected, gets no replacement: None.
    """
    repository = CardRepository(session)
    locked = repository.by_reference_for_update(card.reference)
    if locked is None:  # pragma: no cover - the caller just read it
        raise CardNotFound()
    if locked.status == CardStatus.revoked:
        raise CardAlreadyRevoked()
    before = locked.status
    _revoke(locked, reason, now)
    session.flush()
    resident = residents.get_resident(session, locked.resident_id)
    assert resident is not None  # a foreign key keeps the holder there
    replacement = None
    if resident.status in (ResidencyStatus.verified, ResidencyStatus.suspended):
        replacement = issue_card(session, settings, resident, now=now, status=CardStatus(before))
    audit.record(
        session,
        actor_id=actor_id,
        action="card.revoke",
        subject_type="card",
        subject_id=locked.id,
        before={"status": before},
        after={
            "status": CardStatus.revoked.value,
            "reason": reason.value,
            "replaced_by": str(replacement.id) if replacement is not None else None,
        },
        reason=note,
    )
    return replacement


def set_card_status(
    session: Session,
    card: Card,
    *,
    status: CardStatus,
    now: datetime,
    actor_id: uuid.UUID,
    note: str | None,
) -> Card:
    """A clerk suspends an active card or reinstates a suspended one; written to the audit log."""
    locked = CardRepository(session).by_reference_for_update(card.reference)
    if locked is None:  # pragma: no cover - the caller just read it
        raise CardNotFound()
    allowed = {
        CardStatus.active: CardStatus.suspended,
        CardStatus.suspended: CardStatus.active,
    }
    before = CardStatus(locked.status)
    if allowed.get(before) != status:
        raise InvalidCardTransition(before=before.value, after=status.value)
    locked.status = status.value
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="card.suspend" if status == CardStatus.suspended else "card.reinstate",
        subject_type="card",
        subject_id=locked.id,
        before={"status": before.value},
        after={"status": status.value},
        reason=note,
    )
    return locked


# --- who may see which card ---------------------------------------------------------------------


def own_resident(session: Session, user_id: uuid.UUID) -> Resident:
    resident = residents.resident_for_user(session, user_id)
    if resident is None:
        raise NoCard()
    return resident


def own_card(
    session: Session, settings: Settings, user_id: uuid.UUID, *, now: datetime
) -> tuple[Card, Resident]:
    """The signed-in resident's own card (issued on first need)."""
    resident = own_resident(session, user_id)
    card = current_card(session, settings, resident, now=now)
    if card is None:
        raise NoCard()
    return card, resident


def card_for_holder(
    session: Session, user_id: uuid.UUID, reference: str, *, today: date
) -> tuple[Card, Resident, bool]:
    """A card its holder, or the holder's guardian, asks for by reference; and whether it is a ward's.

    Anyone else's card is simply not found.
    """
    card = CardRepository(session).by_reference(reference)
    actor = residents.resident_for_user(session, user_id)
    if (
        card is None
        or actor is None
        or not residents.can_act_for(session, actor, card.resident_id, today=today)
    ):
        raise CardNotFound()
    resident = residents.get_resident(session, card.resident_id)
    assert resident is not None  # a foreign key keeps the holder there
    return card, resident, resident.id != actor.id


def ward_cards(
    session: Session, settings: Settings, guardian: Resident, *, now: datetime
) -> list[tuple[Card, Resident]]:
    """The cards of the minors in a guardian's care (those whose residency is verified, or was)."""
    found: list[tuple[Card, Resident]] = []
    for ward in residents.wards_of(session, guardian, today=residents.city_today(now, settings)):
        card = current_card(session, settings, ward, now=now)
        if card is not None:
            found.append((card, ward))
    return found


def admin_card(session: Session, reference: str) -> tuple[Card, Resident]:
    card = CardRepository(session).by_reference(reference)
    if card is None:
        raise CardNotFound()
    resident = residents.get_resident(session, card.resident_id)
    assert resident is not None  # a foreign key keeps the holder there
    return card, resident


def cards_of_resident(session: Session, resident_id: uuid.UUID) -> tuple[Resident, Sequence[Card]]:
    """Every card a resident has held, newest first (for the city's staff)."""
    resident = residents.get_resident(session, resident_id)
    if resident is None:
        raise CardNotFound()
    return resident, CardRepository(session).of_resident(resident_id)


# --- what the wallet shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class CardDetails:
    card: Card
    resident: Resident
    status: CardStatus
    expired: bool
    photo_digest: str | None
    benefits: list[BenefitLine]
    is_ward: bool


def details(
    session: Session,
    settings: Settings,
    card: Card,
    resident: Resident,
    *,
    now: datetime,
    is_ward: bool = False,
) -> CardDetails:
    digests = CardPhotoRepository(session).digests_of([resident.id])
    return CardDetails(
        card=card,
        resident=resident,
        status=effective_status(card, resident),
        expired=is_expired(card, residents.city_today(now, settings)),
        photo_digest=digests.get(resident.id),
        benefits=benefit_summary(session, resident.id, now),
        is_ward=is_ward,
    )


# --- the rotating QR token ----------------------------------------------------------------------


@dataclass(frozen=True)
class CardToken:
    token: str
    expires_at: datetime


def mint_token(
    session: Session,
    settings: Settings,
    keyring: Keyring,
    card: Card,
    resident: Resident,
    *,
    now: datetime,
) -> CardToken:
    """A short-lived signed token naming the card by its opaque reference, and nothing else."""
    status = effective_status(card, resident)
    if status != CardStatus.active:
        raise CardNotActive(status=status.value)
    if is_expired(card, residents.city_today(now, settings)):
        raise CardNotActive(status="expired")
    expires_at = datetime.fromtimestamp(int(now.timestamp()) + settings.card_token_ttl_seconds, UTC)
    token = keyring.sign(
        session,
        {"sub": card.reference},
        audience=settings.card_audience,
        now=now,
        expires_at=expires_at,
    )
    return CardToken(token=token, expires_at=expires_at)


def register_device(
    session: Session,
    settings: Settings,
    card: Card,
    resident: Resident,
    public_key: dict[str, object],
    *,
    user_agent: str | None,
    now: datetime,
    actor_id: uuid.UUID | None,
) -> devices.Registered:
    """Register a phone's key to the holder's card: only while the card may show a QR."""
    status = effective_status(card, resident)
    if status != CardStatus.active:
        raise CardNotActive(status=status.value)
    if is_expired(card, residents.city_today(now, settings)):
        raise CardNotActive(status="expired")
    return devices.register(
        session, settings, card, public_key, user_agent=user_agent, now=now, actor_id=actor_id
    )


def programmes_for_merchant(
    session: Session, resident: Resident, merchant_user_id: uuid.UUID, *, now: datetime
) -> list[str]:
    return merchant_programmes(session, resident.id, merchant_user_id, now)


# --- photos -------------------------------------------------------------------------------------


def set_photo(
    session: Session, resident: Resident, photo: PreparedPhoto, *, now: datetime
) -> CardPhoto:
    """Put (or replace) the holder's photo, already cleaned by ``photos.prepare_photo``."""
    repository = CardPhotoRepository(session)
    existing = repository.of_resident(resident.id)
    if existing is None:
        return repository.add(
            CardPhoto(
                resident_id=resident.id,
                media_type=photo.media_type,
                content=photo.content,
                digest=photo.digest,
                width=photo.width,
                height=photo.height,
                updated_at=now,
                created_at=now,
            )
        )
    existing.media_type = photo.media_type
    existing.content = photo.content
    existing.digest = photo.digest
    existing.width, existing.height = photo.width, photo.height
    existing.updated_at = now
    session.flush()
    return existing


def remove_photo(session: Session, resident: Resident) -> None:
    repository = CardPhotoRepository(session)
    existing = repository.of_resident(resident.id)
    if existing is None:
        raise PhotoNotFound()
    repository.delete(existing)


def photo_digest(session: Session, resident: Resident) -> str | None:
    return CardPhotoRepository(session).digests_of([resident.id]).get(resident.id)


def photo_of(session: Session, resident: Resident) -> CardPhoto:
    photo = CardPhotoRepository(session).of_resident(resident.id)
    if photo is None:
        raise PhotoNotFound()
    return photo


def photo_for_verifier(session: Session, reference: str) -> CardPhoto:
    """A card's photo for an inspector, a merchant or a clerk: only while the card is current."""
    card = CardRepository(session).by_reference(reference)
    if card is None or card.status == CardStatus.revoked:
        raise CardNotFound()
    photo = CardPhotoRepository(session).of_resident(card.resident_id)
    if photo is None:
        raise PhotoNotFound()
    return photo
