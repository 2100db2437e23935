"""Cashback's statistics for the city's dashboard, over a window of city days: what each campaign
credited and released and what its budget has left, the purchases by the business's neighbourhood
and category and by month, the busiest businesses, and the flagged purchases and how they were
settled. Each answer is a few grouped statements, however many rows they sum."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from cashback import earning
from cashback.models import FlagOutcome, FlagStatus
from cashback.repository.statistics import PurchaseSums, StatisticsRepository
from cashback.schemas.statistics import (
    BusinessFiguresOut,
    BusinessStatsOut,
    CampaignFiguresOut,
    CampaignMonthOut,
    CampaignStatsOut,
    FlagMonthOut,
    FlagStatsOut,
    NeighbourhoodPurchasesOut,
    PurchaseCellOut,
    PurchaseMonthOut,
    PurchaseStatsOut,
)
from cashback.service import campaigns as campaigns_service
from figures.statistics import NamedOut, every_month, window_out
from figures.window import Window
from kernel.i18n import Language

TOP_UP_KIND = "cashback_top_up"
# How a flagged purchase was settled, in the order the answer lists them.
OUTCOMES = (FlagStatus.open.value, FlagOutcome.dismissed.value, FlagOutcome.confirmed.value)


def category_named(code: str, language: Language) -> NamedOut:
    names = earning.CATEGORY_NAMES.get(code)
    return NamedOut(code=code, name=names[language] if names else code)


def campaign_figures(
    session: Session, window: Window, language: Language, *, now: datetime
) -> CampaignStatsOut:
    repository = StatisticsRepository(session)
    campaigns = repository.campaigns_in(window)
    funded = repository.funded(campaigns, top_up_kind=TOP_UP_KIND)
    budgets = campaigns_service.budgets_of(session, campaigns, now=now)
    credited: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for campaign_id, month, amount in repository.credited(window):
        credited[campaign_id][month] = amount
    released: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for campaign_id, month, amount in repository.released(window):
        released[campaign_id][month] = amount
    answers = []
    for campaign in campaigns:
        given, freed = credited[campaign.id], released[campaign.id]
        answers.append(
            CampaignFiguresOut(
                id=campaign.id,
                name=campaign.name(language),
                status=campaign.state(now),
                budget_agorot=funded.get(campaign.id, 0),
                credited_agorot=sum(given.values()),
                redeemed_agorot=sum(freed.values()),
                budget_left_agorot=budgets[campaign.id].available,
                months=[
                    CampaignMonthOut(
                        month=month.label,
                        credited_agorot=given.get(month.label, 0),
                        redeemed_agorot=freed.get(month.label, 0),
                    )
                    for month in window.months()
                ],
            )
        )
    return CampaignStatsOut(window=window_out(window), campaigns=answers)


def purchase_figures(session: Session, window: Window, language: Language) -> PurchaseStatsOut:
    repository = StatisticsRepository(session)
    places = repository.neighbourhoods()
    named = {p.id: NamedOut(code=p.code, name=p.name(language)) for p in places}
    cells = sorted(repository.by_place(window), key=lambda cell: (named[cell[0]].code, cell[1]))
    totals: dict[uuid.UUID, list[int]] = {p.id: [0, 0, 0] for p in places}
    for neighbourhood_id, _category, sums in cells:
        total = totals[neighbourhood_id]
        total[0] += sums.purchases
        total[1] += sums.amount_agorot
        total[2] += sums.cashback_agorot
    months = repository.by_month(window)
    return PurchaseStatsOut(
        window=window_out(window),
        cells=[
            PurchaseCellOut(
                neighbourhood=named[neighbourhood_id],
                category=category_named(category, language),
                purchases=sums.purchases,
                amount_agorot=sums.amount_agorot,
                cashback_agorot=sums.cashback_agorot,
                residents=sums.residents,
            )
            for neighbourhood_id, category, sums in cells
        ],
        months=every_month(
            window,
            {label: _month(label, sums) for label, sums in months.items()},
            lambda label: _month(label, PurchaseSums(0, 0, 0, 0)),
        ),
        neighbourhoods=[
            NeighbourhoodPurchasesOut(
                code=p.code,
                name=p.name(language),
                purchases=totals[p.id][0],
                amount_agorot=totals[p.id][1],
                cashback_agorot=totals[p.id][2],
            )
            for p in places
        ],
    )


def _month(label: str, sums: PurchaseSums) -> PurchaseMonthOut:
    return PurchaseMonthOut(
        month=label,
        purchases=sums.purchases,
        amount_agorot=sums.amount_agorot,
        cashback_agorot=sums.cashback_agorot,
    )


def busiest_businesses(
    session: Session, window: Window, language: Language, *, limit: int
) -> BusinessStatsOut:
    repository = StatisticsRepository(session)
    busiest = repository.busiest(window, limit=limit)
    businesses = repository.businesses(merchant_id for merchant_id, _sums in busiest)
    places = {p.code: p for p in repository.neighbourhoods()}
    answers = []
    for merchant_id, sums in busiest:
        merchant, place = businesses[merchant_id]
        answers.append(
            BusinessFiguresOut(
                id=merchant.id,
                name=merchant.name,
                neighbourhood=NamedOut(code=place, name=places[place].name(language)),
                category=category_named(merchant.category, language),
                purchases=sums.purchases,
                amount_agorot=sums.amount_agorot,
                cashback_agorot=sums.cashback_agorot,
                residents=sums.residents,
            )
        )
    return BusinessStatsOut(window=window_out(window), businesses=answers)


def flag_figures(session: Session, window: Window) -> FlagStatsOut:
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for month, outcome, purchases in StatisticsRepository(session).flag_outcomes(window):
        by_month[month][outcome] += purchases
    outcomes = {o: sum(counts[o] for counts in by_month.values()) for o in OUTCOMES}
    return FlagStatsOut(
        window=window_out(window),
        flagged=sum(outcomes.values()),
        outcomes=outcomes,
        months=every_month(
            window,
            {label: _flag_month(label, counts) for label, counts in by_month.items()},
            lambda label: _flag_month(label, dict.fromkeys(OUTCOMES, 0)),
        ),
    )


def _flag_month(label: str, outcomes: dict[str, int]) -> FlagMonthOut:
    return FlagMonthOut(month=label, flagged=sum(outcomes.values()), outcomes=outcomes)
