"""Every query of cards and card photos."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from resident_card.cards.models import Card, CardPhoto, CardStatus


class CardRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, card: Card) -> Card:
        self.session.add(card)
        self.session.flush()
        return card

    def by_reference(self, reference: str) -> Card | None:
        return self.session.scalar(select(Card).where(Card.reference == reference))

    def by_reference_for_update(self, reference: str) -> Card | None:
        return self.session.scalar(
            select(Card).where(Card.reference == reference).with_for_update()
        )

    def current_of(self, resident_id: uuid.UUID) -> Card | None:
        """The resident's card that is not revoked, if any (the database allows one at most)."""
        return self.session.scalar(
            select(Card).where(
                Card.resident_id == resident_id, Card.status != CardStatus.revoked.value
            )
        )

    def current_of_each(self, resident_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Card]:
        ids = list(resident_ids)
        if not ids:
            return {}
        cards = self.session.scalars(
            select(Card).where(Card.resident_id.in_(ids), Card.status != CardStatus.revoked.value)
        ).all()
        return {card.resident_id: card for card in cards}

    def of_resident(self, resident_id: uuid.UUID) -> Sequence[Card]:
        """Every card a resident has held, newest first."""
        return self.session.scalars(
            select(Card)
            .where(Card.resident_id == resident_id)
            .order_by(Card.issued_at.desc(), Card.created_at.desc())
        ).all()

    def number_taken(self, number: str) -> bool:
        return bool(self.session.scalar(select(exists().where(Card.number == number))))

    def reference_taken(self, reference: str) -> bool:
        return bool(self.session.scalar(select(exists().where(Card.reference == reference))))


class CardPhotoRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of_resident(self, resident_id: uuid.UUID) -> CardPhoto | None:
        return self.session.scalar(select(CardPhoto).where(CardPhoto.resident_id == resident_id))

    def digests_of(self, resident_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        """The photos' digests (for their URLs), without reading the images."""
        ids = list(resident_ids)
        if not ids:
            return {}
        rows = self.session.execute(
            select(CardPhoto.resident_id, CardPhoto.digest).where(CardPhoto.resident_id.in_(ids))
        ).all()
        return {resident_id: digest for resident_id, digest in rows}

    def add(self, photo: CardPhoto) -> CardPhoto:
        self.session.add(photo)
        self.session.flush()
        return photo

    def delete(self, photo: CardPhoto) -> None:
        self.session.delete(photo)
        self.session.flush()
