"""Whole numbers as a request body gives them, and the range the database can hold.

Every integer field of every request body is a ``WholeNumber`` with its bounds
(``amount: WholeNumber = Field(ge=1, le=MAX)``, or a bounded alias of it): only a JSON integer
passes. ``true``, ``1.0``, ``1e3`` and ``"100"`` are refused (422 ``validation_error``), never
coerced; a model is not strict as a whole, since ids, dates and times arrive as strings in JSON.
Path and query parameters arrive as text: they are parsed as integers, and bounded the same way.

A sum kept in a 64-bit column (a balance, a reservation) stays within ``BIGINT_MIN`` to
``BIGINT_MAX``; a write that would take it past refuses with ``AmountOutOfRange``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict

from kernel.errors import AmountOutOfRange

WholeNumber = Annotated[int, Strict()]

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1


def check_in_range(*values: int) -> None:
    """Refuse, with ``AmountOutOfRange``, a value a 64-bit integer column cannot hold."""
    for value in values:
        if not BIGINT_MIN <= value <= BIGINT_MAX:
            raise AmountOutOfRange()
