"""Cashback's periodic jobs: held cashback released once its return window is over, and each
month settled with the businesses (what ``toshav cashback release-holds`` and ``settle`` run)."""

from __future__ import annotations

from datetime import time, timedelta
from functools import partial

from cashback.service import campaigns, releases, settlement
from kernel.schedule import Counts, Job, JobContext, every_minutes, monthly


def release_holds(context: JobContext) -> Counts:
    """Every resident's cashback past its return window made spendable, a resident per
    transaction (a release locks a campaign's budget, which other residents' purchases wait for
    while holding their own wallets); then what came back to ended campaigns goes to the city."""
    now = context.now
    run = context.transactions
    counts = {"released": 0, "amount_agorot": 0, "recovered_agorot": 0, "returned_agorot": 0}
    while True:
        due = run(partial(releases.residents_with_due_holds, now=now, limit=500))
        if not due:
            break
        for resident_id in due:
            done = run(partial(releases.release_due_holds, now=now, resident_id=resident_id))
            counts["released"] += done.released
            counts["amount_agorot"] += done.amount_agorot
            counts["recovered_agorot"] += done.recovered_agorot
    for campaign_id in run(partial(campaigns.ended_campaigns_with_budget, now=now)):
        counts["returned_agorot"] += run(
            partial(campaigns.return_unspent_budgets, campaign_id=campaign_id, now=now)
        )
    return counts


def settle_last_month(context: JobContext) -> Counts:
    """Each business's statement for the month before this one, and the city's payment."""
    previous = (context.period_start.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    answers = context.transactions(
        partial(
            settlement.settle, settings=context.settings, period_label=previous, now=context.now
        )
    )
    for answer in answers:
        settlement.write_statement(context.settings, answer)
    return {
        "businesses": len(answers),
        "settled": sum(answer.created for answer in answers),
        "paid_agorot": sum(answer.settlement.paid_agorot for answer in answers if answer.created),
    }


RELEASE_HOLDS = Job("cashback.release_holds", every_minutes(5), release_holds)
MONTHLY_SETTLEMENT = Job("cashback.monthly_settlement", monthly(at=time(1, 0)), settle_last_month)
JOBS = (RELEASE_HOLDS, MONTHLY_SETTLEMENT)
