"""What cashback's statistics answer with (``/api/v1/stats/…``): sums over a window of city days.
Money is in agorot (integers), always."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from figures.statistics import NamedOut, WindowOut

_PAID = "What residents paid in the window's purchases, less what was refunded of them since."
_BACK = "held in their return window, then released; less what refunds took back of it."
_EARNED = "The cashback those purchases earned, " + _BACK


class CampaignMonthOut(BaseModel):
    month: str = Field(description="A city month of the window (YYYY-MM).")
    credited_agorot: int = Field(description="Cashback the campaign gave the month's purchases.")
    redeemed_agorot: int = Field(description="Cashback of the campaign released in the month.")


class CampaignFiguresOut(BaseModel):
    id: uuid.UUID
    name: str
    status: Literal["scheduled", "running", "paused", "ended"] = Field(description="Now.")
    budget_agorot: int = Field(description="What the city's top-ups put into its budget in all.")
    credited_agorot: int = Field(description="Cashback it gave the window's purchases, " + _BACK)
    redeemed_agorot: int = Field(
        description="Its cashback released in the window: the return window over, moved from its "
        "budget into residents' spendable cashback for good. (What a resident then spends at a "
        "till comes from their whole balance, which no campaign owns.)"
    )
    budget_left_agorot: int = Field(
        description="What its budget can still give now, from the ledger (not held, not spent)."
    )
    months: list[CampaignMonthOut]


class CampaignStatsOut(BaseModel):
    window: WindowOut
    campaigns: list[CampaignFiguresOut] = Field(description="Met the window's days; oldest first.")


class PurchaseCellOut(BaseModel):
    neighbourhood: NamedOut = Field(description="The business's neighbourhood.")
    category: NamedOut = Field(description="The business's category.")
    purchases: int = Field(description="Purchases made in the window (refunded ones too).")
    amount_agorot: int = Field(description=_PAID)
    cashback_agorot: int = Field(description=_EARNED)
    residents: int = Field(description="Distinct residents who made them.")


class PurchaseMonthOut(BaseModel):
    month: str = Field(description="A city month of the window (YYYY-MM).")
    purchases: int
    amount_agorot: int = Field(description=_PAID)
    cashback_agorot: int = Field(description=_EARNED)


class NeighbourhoodPurchasesOut(NamedOut):
    purchases: int
    amount_agorot: int = Field(description=_PAID)
    cashback_agorot: int = Field(description=_EARNED)


class PurchaseStatsOut(BaseModel):
    window: WindowOut
    cells: list[PurchaseCellOut] = Field(description="Neighbourhood × category, where any.")
    months: list[PurchaseMonthOut]
    neighbourhoods: list[NeighbourhoodPurchasesOut] = Field(description="Every neighbourhood.")


class BusinessFiguresOut(BaseModel):
    id: uuid.UUID
    name: str
    neighbourhood: NamedOut
    category: NamedOut
    purchases: int = Field(description="Purchases made there in the window.")
    amount_agorot: int = Field(description=_PAID)
    cashback_agorot: int = Field(description=_EARNED)
    residents: int = Field(description="Distinct residents who bought there.")


class BusinessStatsOut(BaseModel):
    window: WindowOut
    businesses: list[BusinessFiguresOut] = Field(description="Most paid first.")


FlagOutcomes = Annotated[
    dict[str, int],
    Field(
        description="Flagged purchases by how they were settled: `confirmed` (a clerk confirmed "
        "any of its flags), `dismissed` (every flag dismissed), `open` (not settled yet)."
    ),
]


class FlagMonthOut(BaseModel):
    month: str = Field(description="The city month the flagged purchases were made (YYYY-MM).")
    flagged: int
    outcomes: FlagOutcomes


class FlagStatsOut(BaseModel):
    window: WindowOut
    flagged: int = Field(description="Purchases of the window a fraud signal flagged (once each).")
    outcomes: FlagOutcomes
    months: list[FlagMonthOut]
