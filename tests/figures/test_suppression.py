"""The primary rule of published figures: some people, but fewer than k, and the figure is hidden."""

from __future__ import annotations

import pytest

from figures.suppression import too_few


@pytest.mark.parametrize(
    ("people", "hidden"), [(0, False), (1, True), (9, True), (10, False), (500, False)]
)
def test_a_figure_about_fewer_than_k_people_is_hidden(people: int, hidden: bool) -> None:
    assert too_few(people, 10) is hidden
