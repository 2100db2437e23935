"""The rule every published figure keeps: a figure about fewer than k people is not shown.

``k`` is ``TOSHAV_OPEN_DATA_K`` (default 10). A figure counts the people it describes (distinct
residents); zero people describe nothing, so zero is shown. The open data adds complementary
suppression on top of this rule (``suppress``), so a hidden cell cannot be worked out from the
totals beside it (docs/decisions/0016-open-data-suppression.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction


def too_few(people: int, k: int) -> bool:
    """Whether a figure about ``people`` people must be suppressed: some, but fewer than ``k``."""
    return 0 < people < k


# --- complementary suppression -----------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One published figure (a cell or a total) as suppression sees it: its key, the people it
    describes, a size to choose the least informative figure by, and whether it is a total."""

    key: Hashable
    people: int
    size: int
    total: bool = False


@dataclass(frozen=True)
class Sum:
    """A relation a reader knows: the figure ``total`` is the sum of the figures ``parts``."""

    total: Hashable
    parts: tuple[Hashable, ...]


def suppress(
    figures: Sequence[Figure], sums: Sequence[Sum], hidden: Iterable[Hashable]
) -> set[Hashable]:
    """The figures to hide: ``hidden`` (the primary rule's), and as few more as this greedy method
    finds so that no hidden figure is fixed by the published ones and the sums between them.

    A hidden figure is fixed when the sums, with the published figures put in, leave it one value
    (it is a linear combination of published figures). While one is, the smallest published figure
    of a sum it takes part in is hidden too: a cell before a total, the fewest people, then the
    smallest size. A figure about nobody is never hidden to protect another: a reader knows figures
    are not negative, so beside a total of zero it is known to be zero, hidden or not. When a sum
    has nothing else to hide, the smallest published figure anywhere is taken. Each step hides one
    more figure, so it ends; with every figure hidden, none is fixed (each sum has two or more)."""
    by_key = {figure.key: figure for figure in figures}
    suppressed = set(hidden)
    while True:
        fixed = fixed_figures(sums, suppressed)
        if not fixed:
            return suppressed
        near = {
            key
            for relation in sums
            if fixed & _members(relation)
            for key in _members(relation)
            if key not in suppressed and by_key[key].people > 0
        }
        candidates = near or {
            key for key, figure in by_key.items() if key not in suppressed and figure.people > 0
        }
        candidates = candidates or {key for key in by_key if key not in suppressed}
        if not candidates:
            return suppressed
        suppressed.add(min(candidates, key=lambda key: _cost(by_key[key])))


def _cost(figure: Figure) -> tuple[bool, int, int, str]:
    return (figure.total, figure.people, figure.size, repr(figure.key))


def _members(relation: Sum) -> set[Hashable]:
    return {relation.total, *relation.parts}


def fixed_figures(sums: Sequence[Sum], suppressed: set[Hashable]) -> set[Hashable]:
    """The hidden figures the sums fix: those whose unit vector lies in the row space of the sums
    restricted to the hidden figures (the published ones are known numbers, moved to the right).
    Exact: Gauss-Jordan elimination over integers and fractions, no floating point."""
    columns = sorted(suppressed, key=repr)
    index = {key: i for i, key in enumerate(columns)}
    rows: list[list[Fraction]] = []
    for relation in sums:
        row = [Fraction(0)] * len(columns)
        if relation.total in index:
            row[index[relation.total]] += 1
        for part in relation.parts:
            if part in index:
                row[index[part]] -= 1
        if any(row):
            rows.append(row)
    reduced = _reduced_rows(rows, len(columns))
    return {
        columns[next(i for i, value in enumerate(row) if value)]
        for row in reduced
        if sum(1 for value in row if value) == 1
    }


def _reduced_rows(rows: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """The non-zero rows of the reduced row echelon form of ``rows``."""
    pivot_row = 0
    for column in range(width):
        found = next((r for r in range(pivot_row, len(rows)) if rows[r][column]), None)
        if found is None:
            continue
        rows[pivot_row], rows[found] = rows[found], rows[pivot_row]
        pivot = rows[pivot_row][column]
        rows[pivot_row] = [value / pivot for value in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][column]:
                factor = rows[r][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivot_row += 1
        if pivot_row == len(rows):
            break
    return rows[:pivot_row]
