"""Whether a reader can work out a hidden figure: a method of its own, not the one
``figures.suppression`` hides by, so the tests check that method rather than repeat it."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Any

from figures.suppression import Sum


def solvable(
    sums: Sequence[Sum], known: Mapping[Hashable, Fraction], unknown: list[Hashable]
) -> bool:
    """Whether the sums, with the known figures put in, have a solution in the unknown ones
    (Gaussian elimination on the augmented matrix: no row reads 0 = c with c non-zero)."""
    index = {key: i for i, key in enumerate(unknown)}
    matrix: list[list[Fraction]] = []
    for relation in sums:
        row = [Fraction(0)] * (len(unknown) + 1)
        for key, sign in ((relation.total, 1), *((part, -1) for part in relation.parts)):
            if key in index:
                row[index[key]] += sign
            else:
                row[-1] -= sign * known[key]
        matrix.append(row)
    rank = 0
    for column in range(len(unknown)):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(len(matrix)):
            if r != rank and matrix[r][column]:
                factor = matrix[r][column] / matrix[rank][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return all(any(row[:-1]) or not row[-1] for row in matrix)


def worked_out(
    figures: Mapping[Any, int], sums: Sequence[Sum], hidden: Collection[Hashable]
) -> list[Hashable]:
    """The hidden figures a reader could work out: moved off its true value by one, with every
    other hidden figure free, the published figures and the sums no longer fit."""
    found = []
    for key in hidden:
        known = {k: Fraction(v) for k, v in figures.items() if k not in hidden}
        known[key] = Fraction(figures[key] + 1)
        if not solvable(sums, known, [k for k in hidden if k != key]):
            found.append(key)
    return found
