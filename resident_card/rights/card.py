"""The card's part of a person's file and of their erasure: the account, the resident records,
residency history, household, guardianships, cards, photo and phones, email changes, the audit
entries about them and their requests."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from sqlalchemy.orm import Session

from kernel.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language
from resident_card.accounts.models import User
from resident_card.accounts.passwords import hash_password
from resident_card.accounts.repository import RefreshTokenRepository
from resident_card.cards.models import CardStatus, RevocationReason
from resident_card.requests import service as requests
from resident_card.requests.sources import PersonRequest
from resident_card.residents.service import records
from resident_card.rights.repository import CardRecords, ErasureRepository
from resident_card.rights.sections import Erased, ErasureStep, ExportSection, Holder, Json, record

# Never in a file: secrets, and the keyed hash of the ID number (its last digits are).
SECRETS = ("password_hash", "identifier_hash", "token_hash", "code_secret_sealed")
# Other people's accounts: the clerk who decided, the person who acted.
OTHERS = ("actor_id", "decided_by")
# What an erased account's sign-in name becomes: nobody can sign in with it, and it names no one.
ERASED_USERNAME = "erased-{}"


def _language(holder: Holder) -> Language:
    return next(
        (language for language in LANGUAGES if language == holder.language), DEFAULT_LANGUAGE
    )


def _request(found: PersonRequest, language: Language) -> dict[str, Json]:
    return {
        "id": str(found.id),
        "kind": found.kind,
        "status": found.status,
        "status_text": found.status_text[language],
        "created_at": found.created_at.isoformat(),
        "timeline": [
            {
                "status": step.status,
                "status_text": step.status_text[language],
                "at": step.at.isoformat(),
                "note": step.note
                if step.note is None or isinstance(step.note, str)
                else step.note[language],
            }
            for step in found.timeline
        ],
    }


def _export(session: Session, holder: Holder) -> Mapping[str, Json]:
    records_of = CardRecords(session)
    user = session.get(User, holder.user_id)
    residents = records_of.residents(holder.resident_ids)
    streets = records_of.streets(sorted({r.street_id for r in residents}))
    households = records_of.households(sorted({r.household_id for r in residents}))
    cards = records_of.cards(holder.resident_ids)
    erasures = ErasureRepository(session).of_user(holder.user_id)
    subjects = [
        str(holder.user_id),
        *(str(r) for r in holder.resident_ids),
        *(str(card.id) for card in cards),
        *(str(erasure.id) for erasure in erasures),
    ]
    own = holder.resident_ids[0] if holder.resident_ids else None
    language = _language(holder)
    return {
        "account": record(user, leave_out=SECRETS) if user is not None else None,
        "residents": [
            {
                **record(resident, leave_out=SECRETS),
                "identifier": resident.masked_identifier,
                "street": streets[resident.street_id].name(language),
                "relation": "self" if resident.id == own else "ward",
            }
            for resident in residents
        ],
        "residency_history": [
            record(change, leave_out=OTHERS)
            for change in records_of.status_changes(holder.resident_ids)
        ],
        "households": [
            {**record(household), "street": streets[household.street_id].name(language)}
            for household in households
        ],
        "guardianships": [
            record(guardianship)
            for guardianship in (records_of.guardianships(own) if own is not None else ())
            if guardianship.ward_id in holder.resident_ids
        ],
        "cards": [record(card) for card in cards],
        "card_photos": [record(photo) for photo in records_of.photos(holder.resident_ids)],
        "card_devices": [
            record(device, leave_out=SECRETS)
            for device in records_of.devices([card.id for card in cards])
        ],
        "email_changes": [
            record(change, leave_out=SECRETS)
            for change in records_of.email_changes(holder.resident_ids)
        ],
        "requests": [_request(found, language) for found in holder_requests(session, holder)],
        "erasure_requests": [record(erasure, leave_out=OTHERS) for erasure in erasures],
        "audit_entries": [
            {**record(entry, leave_out=OTHERS), "by_you": entry.actor_id == holder.user_id}
            for entry in records_of.audit_about(subjects)
        ],
    }


def holder_requests(session: Session, holder: Holder) -> list[PersonRequest]:
    return requests.requests_of(session, holder.user_id, holder.resident_ids, holder.now)


def _erase(session: Session, erased: Erased) -> None:
    """Forget the person in the card's tables: the resident record's names, contact details,
    apartment, exact birthday and identifier; the photo, the cards and their phones, pending email
    changes and password links; the account's name and password, and its sign-in."""
    records_of = CardRecords(session)
    user = session.get(User, erased.user_id)
    if user is not None:
        user.username = ERASED_USERNAME.format(user.id.hex)
        user.display_name = None
        # The hash of a password nobody was ever told.
        user.password_hash = hash_password(secrets.token_urlsafe(32))
        user.is_active = False
        RefreshTokenRepository(session).revoke_user(user.id, erased.now)
        records_of.delete_password_resets(user.id)
    if erased.resident_id is None:
        session.flush()
        return
    resident = records.get_resident(session, erased.resident_id)
    assert resident is not None  # a foreign key keeps it there
    resident.first_name = ""
    resident.last_name = ""
    resident.date_of_birth = resident.date_of_birth.replace(month=1, day=1)
    resident.email = None
    resident.phone = None
    resident.identifier_hint = ""
    # A hash of nothing anyone knows: the ID number no longer finds the record, and may enrol again.
    resident.identifier_hash = secrets.token_hex(32)
    if resident.apartment is not None:
        street = records_of.streets([resident.street_id])[resident.street_id]
        resident.apartment = None
        resident.household_id = records.household_at(
            session, street, resident.house_number, None
        ).id
    records_of.delete_all(records_of.guardianships(resident.id))
    records_of.delete_all(records_of.photos([resident.id]))
    records_of.delete_email_changes(resident.id)
    cards = records_of.cards([resident.id])
    for device in records_of.devices([card.id for card in cards]):
        if device.revoked_at is None:
            device.revoked_at = erased.now
        device.label = ""
    for card in cards:
        if card.status != CardStatus.revoked:
            card.status = CardStatus.revoked.value
            card.revoked_at = erased.now
            card.revocation_reason = RevocationReason.other.value
    session.flush()


EXPORT = ExportSection(export=_export)
ERASURE = ErasureStep(erase=_erase)
