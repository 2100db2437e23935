"""The measures the open data publishes, from the domains that hold them: the registry.

Figures reads no other domain's tables. Each domain that has something to publish (parking's
permits, free time and inspections; cashback's purchases) lists an ``OpenDataSource`` plug-in in
its manifest, and the composition root installs the enabled domains' sources here: a domain that is
off publishes nothing, and its resource is not in the package.

A source answers one grain at a time (by neighbourhood or for the whole city; by business category
or over all of them), because the people a total describes are the distinct residents behind it,
which no sum of its cells' people gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from figures.window import Window
from kernel.i18n import Text


@dataclass(frozen=True)
class Measure:
    """One published number of a source: its column, its unit (``count``, ``agorot``,
    ``minutes``), what it counts in English for the data package, and its name on the pages."""

    name: str
    unit: str
    description: str
    names: Text


@dataclass(frozen=True)
class Grain:
    """What a source groups by besides the month: the neighbourhood (else the whole city) and the
    business category (else all categories together)."""

    by_neighbourhood: bool
    by_category: bool


@dataclass(frozen=True)
class SourceRow:
    """One group a source found: its neighbourhood's code (``None`` for the whole city, or where
    nothing places it), its city month (``YYYY-MM``), its category's code (``None`` over all of
    them), its measures' values, and the distinct people they describe."""

    neighbourhood: str | None
    month: str
    category: str | None
    values: Mapping[str, int]
    people: int


# Reads one grain of a source over a window's months; groups with nothing in them may be left out.
# What no neighbourhood holds (an address outside every range) is left out at every grain, the
# city's too, so that each total is the sum of its rows.
ReadRows = Callable[[Session, Window, Grain], Iterable[SourceRow]]


@dataclass(frozen=True)
class OpenDataSource:
    """A resource of the open data: its name (the file's, ``permits.csv``), its title and
    description for the package, its name on the pages, its measures, who its people are, the
    business categories it is broken down by (none: the resource has no category column), and how
    to read it."""

    resource: str
    title: str
    description: str
    names: Text
    measures: tuple[Measure, ...]
    people: str
    categories: tuple[str, ...] | None
    rows: ReadRows


# Replaced whole by ``install``, never changed in place.
_installed: tuple[OpenDataSource, ...] = ()


def install(plug_ins: Sequence[OpenDataSource]) -> None:
    """The enabled domains' sources, in their manifests' order; two of one resource are refused."""
    global _installed
    names = [source.resource for source in plug_ins]
    if len(set(names)) != len(names):
        raise TypeError(f"two open-data sources publish one resource: {names}")
    _installed = tuple(plug_ins)


def installed() -> tuple[OpenDataSource, ...]:
    return _installed
