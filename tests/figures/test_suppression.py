"""The primary rule of published figures: some people, but fewer than k, and the figure is hidden."""

from __future__ import annotations

from collections.abc import Hashable
from typing import cast

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from figures.suppression import Figure, Sum, suppress, too_few
from tests.figures.worked_out import worked_out


@pytest.mark.parametrize(
    ("people", "hidden"), [(0, False), (1, True), (9, True), (10, False), (500, False)]
)
def test_a_figure_about_fewer_than_k_people_is_hidden(people: int, hidden: bool) -> None:
    assert too_few(people, 10) is hidden


# --- complementary suppression ----------------------------------------------------------------
#
# A table of neighbourhoods x categories for one month, with every total published beside it: each
# neighbourhood's row total, each category's column total, and the city's. A reader knows every
# published figure and that the totals add up. That nothing hidden can be worked out is checked by
# a method of its own (tests/figures/worked_out.py): for each hidden figure, the equations stay
# solvable when that figure alone is moved off its true value by one, so it has more than one value
# the published figures allow.

ALL = "all"


Key = tuple[str, str]


def _table(values: dict[Key, int]) -> tuple[dict[Key, int], list[Sum]]:
    rows = sorted({n for n, _ in values})
    columns = sorted({c for _, c in values})
    figures = dict(values)
    for n in rows:
        figures[(n, ALL)] = sum(values[(n, c)] for c in columns)
    for c in columns:
        figures[(ALL, c)] = sum(values[(n, c)] for n in rows)
    figures[(ALL, ALL)] = sum(values.values())
    sums = [
        *(Sum((n, ALL), tuple((n, c) for c in columns)) for n in rows),
        *(Sum((ALL, c), tuple((n, c) for n in rows)) for c in columns),
        Sum((ALL, ALL), tuple((n, ALL) for n in rows)),
        Sum((ALL, ALL), tuple((ALL, c) for c in columns)),
    ]
    return figures, sums


def _suppressed(values: dict[Key, int], k: int) -> tuple[dict[Key, int], list[Sum], set[Hashable]]:
    """Hide a table whose every figure is about as many people as its value."""
    figures, sums = _table(values)
    found = [Figure(key, value, value, ALL in key) for key, value in figures.items()]
    primary = {f.key for f in found if too_few(f.people, k)}
    return figures, sums, suppress(found, sums, primary)


def test_one_hidden_cell_in_a_line_takes_another_with_it() -> None:
    values = {("a", "x"): 3, ("a", "y"): 40, ("b", "x"): 25, ("b", "y"): 30}
    figures, sums, hidden = _suppressed(values, k=10)
    assert ("a", "x") in hidden
    assert len(hidden) >= 4  # a 2x2 table: its four cells hide together, or the totals tell
    assert worked_out(figures, sums, hidden) == []
    assert (ALL, ALL) not in hidden


def test_nothing_small_hides_nothing() -> None:
    values = {("a", "x"): 30, ("a", "y"): 40, ("b", "x"): 0, ("b", "y"): 30}
    _, _, hidden = _suppressed(values, k=10)
    assert hidden == set()


def test_a_bridge_between_two_hidden_blocks_is_protected_too() -> None:
    """Each line with two hidden figures is not enough when a hidden figure is the only link
    between two groups of them: the sums over one group give it away. The method finds that."""
    values = {(n, c): 50 for n in "abcd" for c in "wxyz"}
    values.update({("a", "w"): 2, ("a", "x"): 2, ("b", "w"): 2, ("b", "x"): 2, ("b", "y"): 2})
    values.update({("c", "y"): 2, ("c", "z"): 2, ("d", "y"): 2, ("d", "z"): 2})
    figures, sums, hidden = _suppressed(values, k=10)
    assert worked_out(figures, sums, hidden) == []


def test_an_exhaustive_small_table_leaves_every_hidden_cell_more_than_one_value() -> None:
    """Every non-negative whole-number table the published figures allow, listed: each hidden
    cell takes more than one value among them."""
    values = {("a", "x"): 1, ("a", "y"): 4, ("a", "z"): 5}
    values.update({("b", "x"): 4, ("b", "y"): 2, ("b", "z"): 6})
    values.update({("c", "x"): 5, ("c", "y"): 6, ("c", "z"): 7})
    figures, sums, hidden = _suppressed(values, k=3)
    assert {("a", "x"), ("b", "y")} <= hidden
    unknown: list[Key] = sorted(cast(set[Key], hidden))
    seen: dict[Key, set[int]] = {key: set() for key in unknown}
    # Only the hidden cells vary; a hidden total follows from its cells once those are chosen.
    cells = [key for key in unknown if ALL not in key]
    totals = [key for key in unknown if ALL in key]
    bounds = {key: min(figures[(key[0], ALL)], figures[(ALL, key[1])]) for key in cells}

    def walk(i: int, assigned: dict[Key, int]) -> None:
        if i == len(cells):
            full = {**figures, **assigned}
            for total in totals:
                relation = next(s for s in sums if s.total == total)
                full[total] = sum(full[cast(Key, p)] for p in relation.parts)
            if all(
                full[cast(Key, s.total)] == sum(full[cast(Key, p)] for p in s.parts) for s in sums
            ):
                for key in unknown:
                    seen[key].add(full[key])
            return
        for value in range(bounds[cells[i]] + 1):
            walk(i + 1, {**assigned, cells[i]: value})

    walk(0, {})
    assert all(len(values_seen) > 1 for values_seen in seen.values()), seen


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.integers(min_value=0, max_value=40), min_size=12, max_size=12),
    shape=st.sampled_from([(2, 2), (2, 3), (3, 4), (4, 3), (1, 3), (3, 1)]),
    k=st.integers(min_value=2, max_value=15),
)
def test_no_hidden_figure_can_be_worked_out_from_the_published_ones(
    data: list[int], shape: tuple[int, int], k: int
) -> None:
    rows, columns = shape
    values = {
        (f"n{r}", f"c{c}"): data[(r * columns + c) % len(data)]
        for r in range(rows)
        for c in range(columns)
    }
    figures, sums, hidden = _suppressed(values, k=k)
    assert {key for key, value in values.items() if too_few(value, k)} <= hidden
    assert worked_out(figures, sums, hidden) == []
