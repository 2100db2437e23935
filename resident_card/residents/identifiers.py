"""Identifiers of residents: an Israeli ID number or another kind, never kept in clear.

An Israeli ID number (teudat zehut) has 9 digits, the last a check digit; shorter numbers are
left-padded with zeros, as the Interior Ministry writes them. People without one (foster children,
new immigrants, non-resident workers) are identified by a passport number, a foster-care reference
or another reference: first-class, not an afterthought.

What is stored: a keyed hash (HMAC-SHA256 over kind and normalised value) for uniqueness and
look-up, and the last three characters for display ("•••••• 782"). Never the value itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from resident_card.residents.exceptions import InvalidIdentifier, InvalidIdNumber


class IdentifierKind(StrEnum):
    israeli_id = "israeli_id"
    passport = "passport"
    foster_care = "foster_care"
    other = "other"


ID_NUMBER_LENGTH = 9
HINT_LENGTH = 3
MASK = "••••••"
_SEPARATORS = re.compile(r"[\s\-./]")
_REFERENCE = re.compile(r"^[A-Z0-9]{4,30}$")


def id_number_check_digit(first_eight: str) -> int:
    """The check digit that completes eight digits into a valid Israeli ID number."""
    if len(first_eight) != ID_NUMBER_LENGTH - 1 or not first_eight.isdigit():
        raise ValueError("eight digits expected")
    total = _weighted_sum(first_eight + "0")
    return (10 - total % 10) % 10


def _weighted_sum(digits: str) -> int:
    total = 0
    for position, char in enumerate(digits):
        product = int(char) * (1 if position % 2 == 0 else 2)
        total += product - 9 if product > 9 else product
    return total


def is_valid_id_number(digits: str) -> bool:
    """Whether nine digits pass the Israeli ID check digit (and are not all zeros)."""
    if len(digits) != ID_NUMBER_LENGTH or not digits.isascii() or not digits.isdigit():
        return False
    if digits == "0" * ID_NUMBER_LENGTH:
        return False
    return _weighted_sum(digits) % 10 == 0


def normalise_id_number(value: str) -> str:
    """Nine digits, left-padded with zeros; a number that fails its check digit is refused."""
    cleaned = _SEPARATORS.sub("", value)
    if not cleaned or len(cleaned) > ID_NUMBER_LENGTH or not cleaned.isascii():
        raise InvalidIdNumber()
    if not cleaned.isdigit():
        raise InvalidIdNumber()
    padded = cleaned.zfill(ID_NUMBER_LENGTH)
    if not is_valid_id_number(padded):
        raise InvalidIdNumber()
    return padded


def normalise_reference(value: str) -> str:
    """A passport number or another reference: upper case, separators removed, 4 to 30 letters/digits."""
    cleaned = _SEPARATORS.sub("", value).upper()
    if not _REFERENCE.match(cleaned):
        raise InvalidIdentifier()
    return cleaned


def normalise(kind: IdentifierKind, value: str) -> str:
    if kind is IdentifierKind.israeli_id:
        return normalise_id_number(value)
    return normalise_reference(value)


@dataclass(frozen=True)
class ProtectedIdentifier:
    """What is kept of an identifier: its kind, its keyed hash and its last characters."""

    kind: IdentifierKind
    hash: str
    hint: str

    @property
    def masked(self) -> str:
        return mask(self.hint)


def identifier_hash(key: str, kind: IdentifierKind, normalised: str) -> str:
    message = f"{kind.value}:{normalised}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def stand_in_hash(key: str, claim_id: uuid.UUID) -> str:
    """The identifier hash of a record that claims an identifier another record holds: keyed over
    the claim, so it is unique and never equals an identifier's hash (no kind is "claim")."""
    return hmac.new(key.encode(), f"claim:{claim_id}".encode(), hashlib.sha256).hexdigest()


def protect(key: str, kind: IdentifierKind | str, value: str) -> ProtectedIdentifier:
    """Validate and normalise an identifier, and keep only its hash and last characters."""
    kind = IdentifierKind(kind)
    normalised = normalise(kind, value)
    return ProtectedIdentifier(
        kind=kind,
        hash=identifier_hash(key, kind, normalised),
        hint=normalised[-HINT_LENGTH:],
    )


def mask(hint: str) -> str:
    """How an identifier is shown: "•••••• 782"."""
    return f"{MASK} {hint}"
