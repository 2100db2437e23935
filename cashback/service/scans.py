"""The card a business scans at the till: verified, and its ``jti`` consumed once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cashback.exceptions import CardInvalid
from cashback.models import Merchant
from cashback.repository.scans import ScanRepository
from kernel.settings import Settings
from resident_card.cards import verification
from resident_card.residents.models import Resident


def verifier_of(merchant: Merchant) -> str:
    """Whom typed codes are counted against: the business, however many staff logins it has."""
    return f"merchant:{merchant.id}"


def refused(check: verification.CardCheck) -> CardInvalid:
    """The refusal of a card that did not verify; a wrong typed code stays counted."""
    error = CardInvalid(reason=check.reason or "unknown")
    if check.counted_miss:
        error.keeping_work()
    return error


def scanned_resident(
    session: Session,
    settings: Settings,
    merchant: Merchant,
    card_token: str,
    *,
    used_for: str,
    now: datetime,
) -> tuple[Resident, bool]:
    """Verify the card token and consume its jti. (resident, True), or (…, False) when the jti was
    already used: the caller decides between a replay and ``token_replayed``."""
    check = verification.check_token(
        session, settings, card_token, verifier=verifier_of(merchant), now=now
    )
    if not check.valid or check.resident is None:
        raise refused(check)
    if not check.jti:
        raise CardInvalid(reason="malformed")
    fresh = ScanRepository(session).consume_jti(check.jti, merchant.id, used_for, now)
    return check.resident, fresh
