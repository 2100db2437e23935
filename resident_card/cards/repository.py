"""Every query of cards and card photos."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from resident_card.cards.models import Card, CardCodeMisses, CardDevice, CardPhoto, CardStatus
from resident_card.residents.models import Resident

# A scanned token's card and its holder: every verification reads them, in one statement.
_WITH_HOLDER = (
    select(Card, Resident)
    .join(Resident, Resident.id == Card.resident_id)
    .where(Card.reference == bindparam("reference", type_=Card.reference.type))
)


class CardRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, card: Card) -> Card:
        self.session.add(card)
        self.session.flush()
        return card

    def by_reference(self, reference: str) -> Card | None:
        return self.session.scalar(select(Card).where(Card.reference == reference))

    def by_reference_with_holder(self, reference: str) -> tuple[Card, Resident] | None:
        row = self.session.execute(_WITH_HOLDER, {"reference": reference}).first()
        return None if row is None else (row[0], row[1])

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


class CardDeviceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, device: CardDevice) -> CardDevice:
        self.session.add(device)
        self.session.flush()
        return device

    def by_kid(self, kid: str) -> CardDevice | None:
        return self.session.scalar(select(CardDevice).where(CardDevice.kid == kid))

    def kid_taken(self, kid: str) -> bool:
        return bool(self.session.scalar(select(exists().where(CardDevice.kid == kid))))

    def of_card(self, card_id: uuid.UUID) -> Sequence[CardDevice]:
        """A card's unrevoked devices, the most recently registered first."""
        return self.session.scalars(
            select(CardDevice)
            .where(CardDevice.card_id == card_id, CardDevice.revoked_at.is_(None))
            .order_by(CardDevice.created_at.desc(), CardDevice.kid)
        ).all()

    def count_of_card(self, card_id: uuid.UUID) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(CardDevice)
                .where(CardDevice.card_id == card_id, CardDevice.revoked_at.is_(None))
            )
            or 0
        )

    def with_prefix(self, prefix: str) -> Sequence[CardDevice]:
        """The unrevoked devices whose codes start with ``prefix`` (a handful at most)."""
        return self.session.scalars(
            select(CardDevice).where(
                CardDevice.code_prefix == prefix, CardDevice.revoked_at.is_(None)
            )
        ).all()

    def mark_used(self, device_id: uuid.UUID, now: datetime) -> None:
        self.session.execute(
            update(CardDevice).where(CardDevice.id == device_id).values(last_used_at=now)
        )


class CardCodeMissRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def count_one(self, verifier: str, window_start: datetime, step: int) -> int:
        """Add ``step`` (1 or -1) to the verifier's misses in this window, atomically: the count
        after it. On PostgreSQL the row stays locked until the transaction ends, so a verifier's
        guesses are judged one at a time."""
        table = CardCodeMisses.__table__
        values = {
            "id": uuid.uuid4(),
            "created_at": window_start,
            "verifier": verifier,
            "window_start": window_start,
            "misses": max(step, 0),
        }
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(table)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["verifier", "window_start"],
                set_={"misses": table.c.misses + step},
            )
            .returning(table.c.misses)
        )
        return int(self.session.scalar(statement) or 0)
