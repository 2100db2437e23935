"""Cashback's settings: the service's (``kernel.settings.Settings``) and cashback's own fields, read
from the same environment (``TOSHAV_CASHBACK_…``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import Field

from kernel.settings import AppSettings, Settings, settings_as


class CashbackSettings(Settings):
    """What cashback reads from the environment, beside the kernel's and the card's settings."""

    # A purchase's cashback stays held (a ledger hold) for the business's return window,
    # then `toshav cashback release-holds` (or the resident's next use of it) makes it available.
    cashback_return_window_days: int = Field(default=14, ge=0, le=90)
    # The fraud signals flag a purchase for a clerk (it is still credited) when: a resident
    # makes more purchases than this in an hour; a business records more than this in ten minutes;
    # the same resident buys at the same business this many times in a day; a round amount (whole
    # hundreds of shekels) is at least this much; an amount is this many standard deviations above
    # the business's usual, once it has this many earlier purchases.
    cashback_resident_purchases_per_hour: int = Field(default=5, ge=1, le=10_000)
    cashback_business_purchases_per_ten_minutes: int = Field(default=60, ge=1, le=1_000_000)
    cashback_repeats_per_day: int = Field(default=4, ge=2, le=10_000)
    cashback_round_amount_from_agorot: int = Field(default=20_000, ge=10_000, le=10**9)
    cashback_outlier_deviations: float = Field(default=4.0, gt=0, le=100)
    cashback_outlier_min_history: int = Field(default=20, ge=2, le=200)
    # A campaign's businesses are told once its budget's remainder falls below this share (in
    # percent) of what its top-ups put in; 0 tells them nothing.
    cashback_budget_low_percent: int = Field(default=10, ge=0, le=100)
    # Days a card token's use (its ``jti``, the business, what for) is kept; the token itself lives
    # minutes, so a use is needed only to refuse the token a second time.
    cashback_token_use_retention_days: int = Field(default=30, ge=1, le=3650)
    # Purchases draw a campaign's budget from its stripes, each topped up from the budget by this
    # much at a time; while the budget has less than this left outside its stripes, purchases
    # draw exactly (docs/decisions/0021-campaign-budgets-drawn-through-stripes.md).
    cashback_budget_chunk_agorot: int = Field(default=50_000, ge=1, le=10**12)


def cashback_settings(settings: Settings) -> CashbackSettings:
    """The service's settings as cashback reads them."""
    return settings_as(settings, CashbackSettings)


async def app_cashback_settings(settings: AppSettings) -> CashbackSettings:
    """The running app's settings as cashback reads them."""
    return cashback_settings(settings)


CashbackAppSettings = Annotated[CashbackSettings, Depends(app_cashback_settings)]
