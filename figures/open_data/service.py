"""The open data as published: every installed source's measures by neighbourhood, city month and
business category, with the totals beside them, and the figures about too few people hidden.

What is published (docs/decisions/0016-open-data-suppression.md):
- the whole city months of the last year: the twelve before the current month, which is published
  once it has ended;
- a row for every neighbourhood of the city (``all`` for the whole city) and every month, and, for a
  source broken down by business category, every category it knows (``all`` over them): so a row a
  reader does not find is not a zero they must guess, and every total's parts are all there;
- a figure about fewer than k people (``TOSHAV_OPEN_DATA_K``) is hidden, and so is a figure whose
  people could not be counted though something happened; then, month by month, as many more as it
  takes that no hidden figure can be worked out from the published ones and the sums between them
  (``figures.suppression.suppress``). A hidden row hides its measures and its people together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from figures.open_data import repository, sources
from figures.open_data.sources import Grain, OpenDataSource, SourceRow
from figures.settings import figures_settings
from figures.suppression import Figure, Sum, suppress, too_few
from figures.window import Window, window_of
from kernel.i18n import Text
from kernel.settings import Settings
from resident_card.city.service import list_neighbourhoods

# The code of the whole city in the neighbourhood column, and of all categories in the category one.
ALL = "all"
# How many whole months are published.
MONTHS = 12

Key = tuple[str, str, str | None]


@dataclass(frozen=True)
class Place:
    """A neighbourhood of the city as the open data names it."""

    code: str
    names: Text


@dataclass(frozen=True)
class Row:
    """One published row: neighbourhood (or ``all``), month, category (or ``all``; ``None`` where
    the resource has no categories), and its measures and people, ``None`` when hidden."""

    neighbourhood: str
    month: str
    category: str | None
    values: dict[str, int] | None
    people: int | None

    @property
    def suppressed(self) -> bool:
        return self.values is None


@dataclass(frozen=True)
class Table:
    """One resource of the open data: its source and its rows."""

    source: OpenDataSource
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class Publication:
    """Everything published at once: the months, the neighbourhoods, k, and one table per source."""

    window: Window
    k: int
    places: tuple[Place, ...]
    tables: tuple[Table, ...]

    @property
    def months(self) -> list[str]:
        return [month.label for month in self.window.months()]

    def table(self, resource: str) -> Table | None:
        return next((t for t in self.tables if t.source.resource == resource), None)

    def place(self, code: str) -> Place | None:
        return next((p for p in self.places if p.code == code), None)


def published_window(settings: Settings, today: date) -> Window:
    """The whole city months of the last year: the twelve months before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    index = last.year * 12 + last.month - 1 - (MONTHS - 1)
    return window_of(settings, today, date(index // 12, index % 12 + 1, 1), last)


# The publication each process worked out last where no release matched, per database and what it
# depends on, with when it was made (``time.monotonic``). One lock, so a burst of first requests
# works it out once; ``TOSHAV_OPEN_DATA_CACHE_SECONDS`` bounds how stale it may be.
_kept: dict[tuple[str, str, int, tuple[str, ...]], tuple[float, Publication]] = {}
_making = threading.Lock()


def _release_key(settings: Settings, today: date) -> tuple[str, str, int, str]:
    """What a release must match to be today's publication: its months, k and resources."""
    months = published_window(settings, today).months()
    resources = ",".join(source.resource for source in sources.installed())
    return months[0].label, months[-1].label, figures_settings(settings).open_data_k, resources


def publish(session: Session, settings: Settings, today: date) -> Publication:
    """The open data on ``today``: the stored release of these months, k and resources (the
    night's run made it); else worked out now, every installed source's small figures hidden (the
    figures this process worked out last, while they are fresh enough)."""
    stored = repository.release(session, *_release_key(settings, today))
    if stored is not None:
        return _from_release(session, settings, today, stored.tables)
    ours = figures_settings(settings)
    if ours.open_data_cache_seconds == 0:
        return _publish(session, settings, today)
    key = (
        str(session.get_bind().engine.url),
        published_window(settings, today).first.isoformat(),
        ours.open_data_k,
        tuple(source.resource for source in sources.installed()),
    )
    with _making:
        kept = _kept.get(key)
        if kept is not None and time.monotonic() - kept[0] < ours.open_data_cache_seconds:
            return kept[1]
        made = _publish(session, settings, today)
        _kept[key] = (time.monotonic(), made)
        return made


def make_release(session: Session, settings: Settings, now: datetime) -> Publication:
    """Work the open data out afresh and store it as the release requests answer from, in place
    of the one of the same months, k and resources."""
    today = now.astimezone(ZoneInfo(settings.city_time_zone)).date()
    made = _publish(session, settings, today)
    tables = {
        table.source.resource: [
            [row.neighbourhood, row.month, row.category, row.values, row.people]
            for row in table.rows
        ]
        for table in made.tables
    }
    repository.replace_release(session, *_release_key(settings, today), tables, now)
    return made


def _from_release(
    session: Session, settings: Settings, today: date, stored: dict[str, Any]
) -> Publication:
    places = tuple(Place(n.code, n.names) for n in list_neighbourhoods(session))
    tables = tuple(
        Table(
            source=source,
            rows=tuple(
                Row(neighbourhood, month, category, values, people)
                for neighbourhood, month, category, values, people in stored[source.resource]
            ),
        )
        for source in sources.installed()
    )
    return Publication(
        window=published_window(settings, today),
        k=figures_settings(settings).open_data_k,
        places=places,
        tables=tables,
    )


def _publish(session: Session, settings: Settings, today: date) -> Publication:
    window = published_window(settings, today)
    k = figures_settings(settings).open_data_k
    places = tuple(Place(n.code, n.names) for n in list_neighbourhoods(session))
    tables = tuple(
        _table(session, source, window, k, [p.code for p in places])
        for source in sources.installed()
    )
    return Publication(window=window, k=k, places=places, tables=tables)


def _grains(source: OpenDataSource) -> list[Grain]:
    if source.categories is None:
        return [Grain(True, False), Grain(False, False)]
    return [Grain(n, c) for n in (True, False) for c in (True, False)]


def _key(row: SourceRow, grain: Grain) -> Key:
    neighbourhood = row.neighbourhood if grain.by_neighbourhood else ALL
    category = row.category if grain.by_category else ALL
    return (neighbourhood or ALL, row.month, category)


def _table(
    session: Session, source: OpenDataSource, window: Window, k: int, codes: list[str]
) -> Table:
    found: dict[Key, SourceRow] = {}
    for grain in _grains(source):
        for row in source.rows(session, window, grain):
            if grain.by_neighbourhood and row.neighbourhood is None:
                continue  # a source leaves these out; a stray one must not overwrite the city's
            key = _key(row, grain)
            if source.categories is None:
                key = (key[0], key[1], None)
            found[key] = row
    categories: list[str | None] = (
        [None] if source.categories is None else [*source.categories, ALL]
    )
    hidden: set[Hashable] = set()
    for month in window.months():
        figures: list[Figure] = []
        primary: set[Key] = set()
        for neighbourhood in [*codes, ALL]:
            for category in categories:
                key = (neighbourhood, month.label, category)
                got = found.get(key)
                people = got.people if got else 0
                values = got.values if got else {}
                size = values.get(source.measures[0].name, 0)
                total = neighbourhood == ALL or category == ALL
                figures.append(Figure(key, people, size, total))
                if too_few(people, k) or (people == 0 and any(values.values())):
                    primary.add(key)
        hidden |= suppress(figures, _sums(month.label, codes, source.categories), primary)
    rows = []
    for month in window.months():
        for neighbourhood in [*codes, ALL]:
            for category in categories:
                key = (neighbourhood, month.label, category)
                got = found.get(key)
                if key in hidden:
                    rows.append(Row(neighbourhood, month.label, category, None, None))
                    continue
                values = {
                    m.name: (got.values.get(m.name, 0) if got else 0) for m in source.measures
                }
                rows.append(
                    Row(neighbourhood, month.label, category, values, got.people if got else 0)
                )
    return Table(source=source, rows=tuple(rows))


def _sums(month: str, codes: Sequence[str], categories: tuple[str, ...] | None) -> list[Sum]:
    """What a reader knows adds up in one month: each neighbourhood's categories to its total,
    each category's neighbourhoods to the city's, and the city's total both ways."""
    if categories is None:
        return [Sum((ALL, month, None), tuple((n, month, None) for n in codes))]
    return [
        *(Sum((n, month, ALL), tuple((n, month, c) for c in categories)) for n in codes),
        *(Sum((ALL, month, c), tuple((n, month, c) for n in codes)) for c in categories),
        Sum((ALL, month, ALL), tuple((n, month, ALL) for n in codes)),
        Sum((ALL, month, ALL), tuple((ALL, month, c) for c in categories)),
    ]
