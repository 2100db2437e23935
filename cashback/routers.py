"""Cashback's routers, in the order the routes are matched and listed in the OpenAPI document: a
business's staff first (the till's routes are the busiest), then residents, then the city's clerks.
"""

from __future__ import annotations

from fastapi import APIRouter

from cashback.endpoints import (
    business_figures,
    campaigns,
    directory,
    flags,
    merchants,
    my_business,
    purchases,
    redemptions,
    staff,
    statements,
    statistics,
    wallet,
)

ROUTERS: tuple[APIRouter, ...] = (
    my_business.router,
    business_figures.router,
    statements.router,
    staff.router,
    purchases.router,
    redemptions.router,
    wallet.router,
    merchants.router,
    campaigns.router,
    flags.router,
    statistics.router,
    directory.router,
)
