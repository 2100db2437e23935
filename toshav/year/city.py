"""The city as the year reads it: neighbourhoods, and addresses that resolve to them."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from resident_card.city.models import HouseNumberRange, Neighbourhood, Parity, Street


@dataclass(frozen=True)
class Place:
    """An address's street and house number, and the neighbourhood it resolves to."""

    street_id: uuid.UUID
    street_code: str
    house_number: int
    neighbourhood: str


class CityMap:
    """The city's streets and ranges, to draw addresses in a neighbourhood."""

    def __init__(self, session: Session) -> None:
        self.neighbourhoods = {n.code: n for n in session.scalars(select(Neighbourhood))}
        self.codes = sorted(self.neighbourhoods)
        streets = {s.id: s for s in session.scalars(select(Street))}
        self.ranges = list(session.scalars(select(HouseNumberRange)))
        names = {n.id: n.code for n in self.neighbourhoods.values()}
        self.street_code = {i: s.code for i, s in streets.items()}
        self._by_street: dict[uuid.UUID, list[HouseNumberRange]] = {}
        for r in self.ranges:
            self._by_street.setdefault(r.street_id, []).append(r)
        self._neighbourhood_of_range = {r.id: names[r.neighbourhood_id] for r in self.ranges}
        self._ranges_in: dict[str, list[HouseNumberRange]] = {}
        for r in sorted(self.ranges, key=lambda r: (self.street_code[r.street_id], r.from_number)):
            self._ranges_in.setdefault(self._neighbourhood_of_range[r.id], []).append(r)
        if not self.codes or not self.ranges:
            raise ValueError("the city's streets are not loaded")

    def resolve(self, street_id: uuid.UUID, house_number: int) -> str | None:
        """The neighbourhood of an address, by the rule ``neighbourhood_for`` applies."""
        covering = [r for r in self._by_street.get(street_id, []) if r.covers(house_number)]
        if not covering:
            return None
        best = min(
            covering,
            key=lambda r: (r.parity == Parity.all, r.to_number - r.from_number, r.from_number),
        )
        return self._neighbourhood_of_range[best.id]

    def place_in(self, rng: random.Random, neighbourhood: str) -> Place:
        """An address in a neighbourhood (its ranges weighted by how many numbers they hold)."""
        ranges = self._ranges_in[neighbourhood]
        weights = [r.to_number - r.from_number + 1 for r in ranges]
        while True:
            r = rng.choices(ranges, weights)[0]
            number = rng.randint(r.from_number, r.to_number)
            if r.parity == Parity.odd.value and number % 2 == 0:
                continue
            if r.parity == Parity.even.value and number % 2 == 1:
                continue
            if self.resolve(r.street_id, number) == neighbourhood:
                return Place(r.street_id, self.street_code[r.street_id], number, neighbourhood)

    def houses(self, neighbourhood: str) -> int:
        """About how many house numbers a neighbourhood has (its ranges' sizes)."""
        return sum(
            (r.to_number - r.from_number) // (1 if r.parity == Parity.all.value else 2) + 1
            for r in self._ranges_in.get(neighbourhood, [])
        )

    def populated(self) -> list[str]:
        """The neighbourhoods with at least one range of house numbers."""
        return [code for code in self.codes if code in self._ranges_in]
