"""The businesses in the scheme, public: a neighbourhood's page lists those that lie in it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cashback.models import Merchant
from cashback.repository.directory import DirectoryRepository
from resident_card.city.models import Street


def businesses_in(session: Session, neighbourhood: str) -> list[tuple[Merchant, Street]]:
    """The approved businesses of a neighbourhood (pending, rejected or suspended ones are not
    in the scheme), with their street."""
    return DirectoryRepository(session).in_scheme(neighbourhood)
