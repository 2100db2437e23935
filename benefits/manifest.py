"""The benefits domain as the root mounts it: the one ledger and the eligibility engine."""

from __future__ import annotations

from benefits import rights
from benefits.appeals import endpoints as appeals
from benefits.appeals.service import APPEAL_REQUESTS
from benefits.eligibility import cli as eligibility_cli
from benefits.eligibility import demo as eligibility_demo
from benefits.eligibility import endpoints as eligibility
from benefits.eligibility import tasks as eligibility_tasks
from benefits.eligibility.service.follow_ups import FOLLOW_UPS
from benefits.eligibility.service.wallet import wallet_lines
from benefits.ledger import cli as ledger_cli
from benefits.ledger import endpoints as ledger
from benefits.ledger import metrics as ledger_metrics
from benefits.ledger import tasks as ledger_tasks
from benefits.uptake import endpoints as uptake
from benefits.uptake import tasks as uptake_tasks
from kernel.manifest import Manifest
from resident_card.cards.summary import CardLines

MANIFEST = Manifest(
    name="benefits",
    routers=(ledger.router, eligibility.router, appeals.router, uptake.router),
    commands=(ledger_cli.ledger, eligibility_cli.rules, eligibility_cli.benefits),
    demo=(eligibility_demo.load_demo,),
    jobs=(*eligibility_tasks.JOBS, *ledger_tasks.JOBS, uptake_tasks.ROLL_UP_UPTAKE),
    # The resident's ledger balances on the card, named by their programmes; the allowances a
    # resident's change makes them eligible for, credited at once; appeals among their requests.
    plug_ins=(
        CardLines(summary=wallet_lines),
        FOLLOW_UPS,
        APPEAL_REQUESTS,
        rights.EXPORT,
        rights.ERASURE,
    ),
    metrics=ledger_metrics.METRICS,
)
