"""The population registry's export: each row a verified resident, or left as is if already
known; one audit entry per import. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from kernel.settings import Settings
from resident_card.audit import service as audit
from resident_card.city import service as city
from resident_card.residents import events
from resident_card.residents.events import Change
from resident_card.residents.exceptions import InvalidImportField
from resident_card.residents.identifiers import IdentifierKind, protect
from resident_card.residents.models import ResidencyStatus
from resident_card.residents.repository import ResidentRepository
from resident_card.residents.schemas import normalise_name, normalise_phone
from resident_card.residents.service.records import (
    Address,
    Person,
    add_resident,
    check_born,
    city_today,
    known_street,
)

IMPORT_COLUMNS = (
    "identifier_kind",
    "identifier",
    "first_name",
    "last_name",
    "date_of_birth",
    "street_code",
    "house_number",
    "apartment",
    "email",
    "phone",
    "resident_since",
)


def _text(row: Mapping[str, str], column: str, *, max_length: int) -> str | None:
    raw = row.get(column) or ""
    if not raw.strip():
        return None
    try:
        value = normalise_name(raw)
    except ValueError:
        raise InvalidImportField(problem=column) from None
    if len(value) > max_length:
        raise InvalidImportField(problem=column)
    return value


def _required_text(row: Mapping[str, str], column: str, *, max_length: int) -> str:
    value = _text(row, column, max_length=max_length)
    if value is None:
        raise InvalidImportField(problem=column)
    return value


def _date(row: Mapping[str, str], column: str) -> date | None:
    value = (row.get(column) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidImportField(problem=column) from None


def import_row(
    session: Session, settings: Settings, row: Mapping[str, str], now: datetime
) -> Literal["created", "unchanged"]:
    """One resident from the registry's export: created verified, or left as is if already known.

    A row that cannot be taken raises a ToshavError saying why; nothing of it is written.
    """
    try:
        kind = IdentifierKind((row.get("identifier_kind") or "").strip() or "israeli_id")
    except ValueError:
        raise InvalidImportField(problem="identifier_kind") from None
    protected = protect(settings.id_hash_key.get_secret_value(), kind, row.get("identifier") or "")
    if ResidentRepository(session).by_identifier_hash(protected.hash) is not None:
        return "unchanged"

    first_name = _required_text(row, "first_name", max_length=100)
    last_name = _required_text(row, "last_name", max_length=100)
    date_of_birth = _date(row, "date_of_birth")
    if date_of_birth is None:
        raise InvalidImportField(problem="date_of_birth")
    today = city_today(now, settings)
    check_born(date_of_birth, today)
    street = known_street(session, (row.get("street_code") or "").strip())
    try:
        house_number = int((row.get("house_number") or "").strip())
    except ValueError:
        raise InvalidImportField(problem="house_number") from None
    if not 1 <= house_number <= city.MAX_HOUSE_NUMBER:
        raise InvalidImportField(problem="house_number")
    apartment = _text(row, "apartment", max_length=10)
    email = _text(row, "email", max_length=254)
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise InvalidImportField(problem="email") from None
    phone = _text(row, "phone", max_length=30)
    if phone is not None:
        phone = normalise_phone(phone)
        if phone is None:
            raise InvalidImportField(problem="phone")
    resident_since = _date(row, "resident_since")
    if resident_since is not None and not date_of_birth <= resident_since <= today:
        raise InvalidImportField(problem="resident_since")

    resident = add_resident(
        session,
        person=Person(first_name, last_name, date_of_birth, kind, ""),
        protected=protected,
        street=street,
        address=Address(street.code, house_number, apartment),
        status=ResidencyStatus.verified,
        reason="population registry import",
        actor_id=None,
        now=now,
        settings=settings,
        email=email,
        phone=phone,
        resident_since=resident_since,
    )
    # Verified by the registry, in a household that grew: both follow at once.
    events.announce(session, [resident.id], Change.verified, now)
    events.announce(session, [resident.id], Change.household, now)
    return "created"


def record_import(
    session: Session, *, counts: Mapping[str, int], source: str, actor_id: uuid.UUID | None = None
) -> None:
    """One audit entry for a whole registry import: what came in, not who."""
    audit.record(
        session,
        actor_id=actor_id,
        action="residents.import",
        subject_type="registry_import",
        subject_id=uuid.uuid4(),
        after={"source": source[:200], **counts},
    )
