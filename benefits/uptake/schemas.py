"""What the uptake figures answer with."""

from __future__ import annotations

from pydantic import BaseModel, Field

from figures.statistics import WindowOut

_RESIDENTS = "Distinct residents credited the programme's allowance."
_GRANTED = "What the allowance grants credited residents' accounts, in the programme's unit."
_USED = (
    "What residents took from their accounts of the programme (free parking time used), in its "
    "unit; not what expired unused at a month's end."
)


class UptakeMonthOut(BaseModel):
    month: str = Field(description="A city month of the window (YYYY-MM), by the movement's time.")
    residents: int = Field(description=_RESIDENTS)
    granted: int = Field(description=_GRANTED)
    used: int = Field(description=_USED)


class ProgrammeUptakeOut(BaseModel):
    code: str
    name: str
    unit: str = Field(description="`PARKING_MIN` (minutes) or `ILS` (agorot).")
    months: list[UptakeMonthOut]
    residents: int = Field(description=_RESIDENTS + " Each once, however many months.")
    granted: int = Field(description=_GRANTED)
    used: int = Field(description=_USED)


class UptakeOut(BaseModel):
    window: WindowOut
    programmes: list[ProgrammeUptakeOut] = Field(
        description="The programmes with a monthly allowance, by code. Cashback and parking "
        "permits have none: their figures are /stats/campaigns and /stats/permits."
    )
