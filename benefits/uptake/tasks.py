"""The uptake rollup kept up by the worker: every ten minutes, the ledger's new postings that are
residents' uses of their allowances are summed into their city days (``service.roll_up``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from benefits.ledger.models import Posting
from benefits.uptake import service
from figures.rollups import service as rollups
from kernel.schedule import Counts, Job, JobContext, every_minutes


def roll_up_uptake(context: JobContext) -> Counts:
    # Two transactions: the first only reads the safe high and so holds the ledger's writers back
    # for no longer than that read (``figures.rollups.repository``).
    high = context.transactions(lambda session: rollups.safe_high(session, Posting.id))

    def work(session: Session) -> int:
        return service.roll_up(
            session, through=high, zone=context.settings.city_time_zone, now=context.now
        )

    return {"uses": context.transactions(work), "through": high}


ROLL_UP_UPTAKE = Job("benefits.roll_up_uptake", every_minutes(10), roll_up_uptake)
