"""Cashback as the root mounts it: businesses, campaigns, purchases, refunds, settlement."""

from __future__ import annotations

from cashback import (
    cli,
    demo,
    metrics,
    open_data,
    requests,
    retention,
    rights,
    routers,
    summary,
    tasks,
)
from cashback.settings import CashbackSettings
from cashback.web import pages
from kernel.manifest import Manifest
from kernel.pages import STATIC_URL
from resident_card.cards.summary import CardLines

MANIFEST = Manifest(
    name="cashback",
    routers=routers.ROUTERS,
    commands=(cli.cashback,),
    demo=(demo.load_demo,),
    demo_logins=(demo.logins_lines,),
    pages=(pages.router,),
    static=((STATIC_URL, pages.STATIC),),
    page_parts=pages.PARTS,
    jobs=(*tasks.JOBS, retention.RETENTION),
    retention=retention.RULES,
    settings=CashbackSettings,
    # The resident's cashback balance on the card, and the campaigns a business's till may apply;
    # a business's application among its owner's requests; its purchases in the open data.
    plug_ins=(
        CardLines(summary=summary.cashback_line, programmes=summary.cashback_programmes),
        requests.SOURCE,
        open_data.SOURCE,
        rights.EXPORT,
        rights.ERASURE,
    ),
    metrics=metrics.METRICS,
)
