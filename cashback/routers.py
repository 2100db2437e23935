"""Cashback as the app factory mounts it: its routers, and its sources for the resident's card.

``ROUTERS`` is in the order the routes are matched and listed in the OpenAPI document: a business's
staff first (the till's routes are the busiest), then residents, then the city's clerks.

Importing this module registers cashback's wallet line and programme source with
``resident_card.cards.summary``; the app factory imports it only when cashback is enabled.
"""

from __future__ import annotations

from fastapi import APIRouter

from cashback import summary
from cashback.endpoints import (
    campaigns,
    flags,
    merchants,
    my_business,
    purchases,
    redemptions,
    statements,
    wallet,
)
from resident_card.cards.summary import register_programme_source, register_summary_source

ROUTERS: tuple[APIRouter, ...] = (
    my_business.router,
    statements.router,
    purchases.router,
    redemptions.router,
    wallet.router,
    merchants.router,
    campaigns.router,
    flags.router,
)

register_summary_source(summary.cashback_line)
register_programme_source(summary.cashback_programmes)
