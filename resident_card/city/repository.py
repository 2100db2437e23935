"""Every query of neighbourhoods, streets and house-number ranges."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, or_, select
from sqlalchemy.orm import Session, aliased

from resident_card.city.models import HouseNumberRange, Neighbourhood, Parity, Street


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def neighbourhood_code_at(
    street_id: ColumnElement[Any], house_number: ColumnElement[Any]
) -> ScalarSelect[str]:
    """The code of the neighbourhood an address lies in, for a query over many addresses (a
    correlated subquery; NULL where no range holds it): the choice ``neighbourhood_for`` makes,
    one side of the street before both, then the narrower range."""
    covering = aliased(HouseNumberRange)
    return (
        select(Neighbourhood.code)
        .join(covering, covering.neighbourhood_id == Neighbourhood.id)
        .where(
            covering.street_id == street_id,
            covering.from_number <= house_number,
            covering.to_number >= house_number,
            or_(
                covering.parity == Parity.all.value,
                and_(covering.parity == Parity.odd.value, house_number % 2 == 1),
                and_(covering.parity == Parity.even.value, house_number % 2 == 0),
            ),
        )
        .order_by(
            covering.parity == Parity.all.value,
            covering.to_number - covering.from_number,
            covering.from_number,
        )
        .limit(1)
        .scalar_subquery()
    )


class CityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Neighbourhood | Street | HouseNumberRange) -> None:
        self.session.add(row)
        self.session.flush()

    def add_all(self, rows: Iterable[Neighbourhood | Street | HouseNumberRange]) -> None:
        """Rows new and changed, written in one flush (new rows of a kind in one statement)."""
        self.session.add_all(rows)
        self.session.flush()

    def all_streets(self) -> Sequence[Street]:
        return self.session.scalars(select(Street)).all()

    def all_ranges(self) -> Sequence[HouseNumberRange]:
        return self.session.scalars(select(HouseNumberRange)).all()

    def neighbourhoods(self) -> Sequence[Neighbourhood]:
        return self.session.scalars(select(Neighbourhood).order_by(Neighbourhood.code)).all()

    def neighbourhood_by_code(self, code: str) -> Neighbourhood | None:
        return self.session.scalar(select(Neighbourhood).where(Neighbourhood.code == code))

    def neighbourhoods_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Neighbourhood]:
        wanted = set(ids)
        if not wanted:
            return {}
        rows = self.session.scalars(select(Neighbourhood).where(Neighbourhood.id.in_(wanted)))
        return {row.id: row for row in rows}

    def street_by_code(self, code: str) -> Street | None:
        return self.session.scalar(select(Street).where(Street.code == code))

    def street(self, street_id: uuid.UUID) -> Street | None:
        return self.session.get(Street, street_id)

    def streets_by_id(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Street]:
        wanted = set(ids)
        if not wanted:
            return {}
        rows = self.session.scalars(select(Street).where(Street.id.in_(wanted)))
        return {row.id: row for row in rows}

    def search_streets(self, text: str | None, *, limit: int) -> Sequence[Street]:
        query = select(Street)
        if text:
            pattern = _like_pattern(text)
            query = query.where(
                or_(
                    Street.name_he.ilike(pattern, escape="\\"),
                    Street.name_ar.ilike(pattern, escape="\\"),
                    Street.name_en.ilike(pattern, escape="\\"),
                    Street.code.ilike(pattern, escape="\\"),
                )
            )
        return self.session.scalars(query.order_by(Street.name_en, Street.code).limit(limit)).all()

    def ranges_of(self, street_id: uuid.UUID) -> Sequence[HouseNumberRange]:
        return self.session.scalars(
            select(HouseNumberRange).where(HouseNumberRange.street_id == street_id)
        ).all()

    def ranges_covering(
        self, street_id: uuid.UUID, house_number: int
    ) -> Sequence[HouseNumberRange]:
        return self.session.scalars(
            select(HouseNumberRange).where(
                HouseNumberRange.street_id == street_id,
                HouseNumberRange.from_number <= house_number,
                HouseNumberRange.to_number >= house_number,
            )
        ).all()

    def range_by_key(
        self, street_id: uuid.UUID, from_number: int, to_number: int, parity: str
    ) -> HouseNumberRange | None:
        return self.session.scalar(
            select(HouseNumberRange).where(
                HouseNumberRange.street_id == street_id,
                HouseNumberRange.from_number == from_number,
                HouseNumberRange.to_number == to_number,
                HouseNumberRange.parity == parity,
            )
        )

    def neighbourhoods_of_streets(
        self, street_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, list[str]]:
        """The neighbourhood codes each street runs through."""
        wanted = set(street_ids)
        if not wanted:
            return {}
        rows = self.session.execute(
            select(HouseNumberRange.street_id, Neighbourhood.code)
            .join(Neighbourhood, Neighbourhood.id == HouseNumberRange.neighbourhood_id)
            .where(HouseNumberRange.street_id.in_(wanted))
            .distinct()
        ).all()
        found: dict[uuid.UUID, list[str]] = {}
        for street_id, code in rows:
            found.setdefault(street_id, []).append(code)
        return {key: sorted(codes) for key, codes in found.items()}
