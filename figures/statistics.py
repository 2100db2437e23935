"""What every statistics answer (``/api/v1/stats/…``) shares, whichever domain counts it: the window
it covers, a thing named by its code and its name in the caller's language, and the window's months
listed whole and in order (zeros where nothing happened)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from figures.window import Window

Slot = TypeVar("Slot")


class WindowOut(BaseModel):
    """The city days counted, both included, and the city months they touch."""

    model_config = ConfigDict(populate_by_name=True)

    first: date = Field(alias="from", description="The first city day counted.")
    last: date = Field(alias="to", description="The last city day counted, included.")
    months: list[str] = Field(
        description="The city months the window touches, in order (YYYY-MM); a month the window "
        "cuts counts only its days inside the window."
    )


class NamedOut(BaseModel):
    """A thing of the city (a programme, a zone, a neighbourhood, a category) by its code, with its
    name in the caller's language."""

    code: str
    name: str


def window_out(window: Window) -> WindowOut:
    return WindowOut(
        first=window.first, last=window.last, months=[month.label for month in window.months()]
    )


def every_month(
    window: Window, found: Mapping[str, Slot], empty: Callable[[str], Slot]
) -> list[Slot]:
    """One slot per month of the window, in order: what was found for it, else an empty one."""
    return [
        found[month.label] if month.label in found else empty(month.label)
        for month in window.months()
    ]


def share(part: int, whole: int) -> float:
    """``part`` of ``whole`` as a fraction 0..1, rounded to four places; 0 when there is no whole."""
    return round(part / whole, 4) if whole else 0.0
