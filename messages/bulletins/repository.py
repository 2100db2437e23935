"""Every query of the city's notices: writing them, the clerks' list, the current ones of a
neighbourhood, and a resident's inbox of messages and notices read as one list."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, String, and_, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from kernel.kit.inserts import insert_if_absent
from messages.bulletins.models import Bulletin, BulletinNeighbourhood, BulletinRead
from messages.models import Message
from resident_card.city.models import Neighbourhood
from resident_card.residents.models import ResidencyStatus, Resident

MESSAGE = "message"
BULLETIN = "notice"


@dataclass(frozen=True)
class Home:
    """Where an account's resident lives: their street and house number."""

    street_id: uuid.UUID
    house_number: int


def _current(today: date) -> ColumnElement[bool]:
    return and_(
        Bulletin.withdrawn_at.is_(None), Bulletin.first_day <= today, Bulletin.last_day >= today
    )


def _for(neighbourhood_id: uuid.UUID | None) -> ColumnElement[bool]:
    """Notices for the whole city, and those for the neighbourhood (if any)."""
    if neighbourhood_id is None:
        return Bulletin.whole_city.is_(True)
    return or_(
        Bulletin.whole_city.is_(True),
        Bulletin.id.in_(
            select(BulletinNeighbourhood.bulletin_id).where(
                BulletinNeighbourhood.neighbourhood_id == neighbourhood_id
            )
        ),
    )


class BulletinRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- what clerks write and read ----------------------------------------------------------------

    def add(self, bulletin: Bulletin, neighbourhood_ids: Iterable[uuid.UUID]) -> None:
        self.session.add(bulletin)
        self.session.flush()
        self.session.add_all(
            BulletinNeighbourhood(bulletin_id=bulletin.id, neighbourhood_id=neighbourhood_id)
            for neighbourhood_id in neighbourhood_ids
        )
        self.session.flush()

    def get_for_update(self, bulletin_id: uuid.UUID) -> Bulletin | None:
        return self.session.scalar(
            select(Bulletin).where(Bulletin.id == bulletin_id).with_for_update()
        )

    def newest(self, *, limit: int, offset: int) -> Sequence[Bulletin]:
        return self.session.scalars(
            select(Bulletin)
            .order_by(Bulletin.created_at.desc(), Bulletin.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()

    def neighbourhoods_of(
        self, bulletin_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, list[Neighbourhood]]:
        """The neighbourhoods of each of these notices, by code, in one query."""
        wanted = set(bulletin_ids)
        found: dict[uuid.UUID, list[Neighbourhood]] = defaultdict(list)
        if not wanted:
            return found
        rows = self.session.execute(
            select(BulletinNeighbourhood.bulletin_id, Neighbourhood)
            .join(Neighbourhood, Neighbourhood.id == BulletinNeighbourhood.neighbourhood_id)
            .where(BulletinNeighbourhood.bulletin_id.in_(wanted))
            .order_by(Neighbourhood.code)
        ).all()
        for bulletin_id, neighbourhood in rows:
            found[bulletin_id].append(neighbourhood)
        return found

    def current(self, today: date, neighbourhood_id: uuid.UUID | None) -> Sequence[Bulletin]:
        """The notices current today for the whole city and for the neighbourhood, newest first."""
        return self.session.scalars(
            select(Bulletin)
            .where(_current(today), _for(neighbourhood_id))
            .order_by(Bulletin.shown_from.desc(), Bulletin.id.desc())
        ).all()

    # --- a resident's inbox ------------------------------------------------------------------------

    def home_of(self, account_id: uuid.UUID) -> Home | None:
        """The address of the account's verified resident: none for another account."""
        row = self.session.execute(
            select(Resident.street_id, Resident.house_number).where(
                Resident.user_id == account_id,
                Resident.status == ResidencyStatus.verified.value,
            )
        ).first()
        return None if row is None else Home(row.street_id, row.house_number)

    def inbox_page(
        self,
        account_id: uuid.UUID,
        notices: ColumnElement[bool] | None,
        *,
        limit: int,
        offset: int,
    ) -> list[tuple[str, uuid.UUID]]:
        """One page of the account's messages and the notices ``notices`` picks (None: none),
        newest first, each as its kind and id."""
        messages = select(
            literal_column(f"'{MESSAGE}'", String).label("kind"),
            Message.id.label("id"),
            Message.created_at.label("at"),
        ).where(Message.account_id == account_id, Message.in_inbox.is_(True))
        if notices is None:
            both = messages.subquery()
        else:
            bulletins = select(
                literal_column(f"'{BULLETIN}'", String), Bulletin.id, Bulletin.shown_from
            ).where(notices)
            both = union_all(messages, bulletins).subquery()
        rows = self.session.execute(
            select(both.c.kind, both.c.id)
            .order_by(both.c.at.desc(), both.c.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return [(str(kind), found_id) for kind, found_id in rows]

    def counts(self, account_id: uuid.UUID, notices: ColumnElement[bool]) -> tuple[int, int]:
        """How many notices ``notices`` picks, and how many of them the account has not read."""
        read = (
            select(BulletinRead.bulletin_id)
            .where(BulletinRead.account_id == account_id)
            .scalar_subquery()
        )
        row = self.session.execute(
            select(
                func.count(Bulletin.id),
                func.count(Bulletin.id).filter(Bulletin.id.not_in(read)),
            ).where(notices)
        ).one()
        return int(row[0]), int(row[1])

    def by_ids(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Bulletin]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {
            b.id: b for b in self.session.scalars(select(Bulletin).where(Bulletin.id.in_(wanted)))
        }

    def one_of(self, bulletin_id: uuid.UUID, notices: ColumnElement[bool]) -> Bulletin | None:
        return self.session.scalar(select(Bulletin).where(Bulletin.id == bulletin_id, notices))

    def reads(
        self, account_id: uuid.UUID, bulletin_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, BulletinRead]:
        wanted = set(bulletin_ids)
        if not wanted:
            return {}
        rows = self.session.scalars(
            select(BulletinRead).where(
                BulletinRead.account_id == account_id, BulletinRead.bulletin_id.in_(wanted)
            )
        )
        return {row.bulletin_id: row for row in rows}

    def mark_read(self, account_id: uuid.UUID, bulletin_id: uuid.UUID, now: datetime) -> None:
        """Record the first time the account read the notice (a later time is not kept)."""
        self.session.execute(
            insert_if_absent(self.session, BulletinRead).values(
                bulletin_id=bulletin_id, account_id=account_id, read_at=now
            )
        )


def picked(today: date, neighbourhood_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The notices a resident of the neighbourhood (None: of no neighbourhood) reads today."""
    return and_(_current(today), _for(neighbourhood_id))
