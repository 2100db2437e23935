"""The ledger's periodic jobs: holds past their expiry released (often), and the whole ledger
checked against itself each night (what ``toshav ledger expire-holds`` and ``check`` run)."""

from __future__ import annotations

from datetime import time
from functools import partial

from benefits.ledger.cli import describe
from benefits.ledger.service import holds
from benefits.ledger.service.check import check_ledger
from kernel.schedule import Counts, Job, JobContext, daily, every_minutes


class LedgerNotSound(RuntimeError):
    """The nightly check found a violation; the run fails with it as its error."""


def expire_holds(context: JobContext) -> Counts:
    return {"expired": context.transactions(partial(holds.expire_holds, now=context.now))}


def check(context: JobContext) -> Counts:
    """Every balance rebuilt from the postings and compared; a violation fails the run."""
    result = context.transactions(check_ledger)
    if result.violation is not None:
        raise LedgerNotSound(describe(result.violation, "en"))
    return {
        "accounts": result.accounts,
        "transactions": result.transactions,
        "postings": result.postings,
        "holds": result.holds,
    }


EXPIRE_HOLDS = Job("benefits.expire_holds", every_minutes(5), expire_holds)
# Checked once a night; a second try an hour later, in case the first met a passing fault.
LEDGER_CHECK = Job(
    "benefits.ledger_check", daily(at=time(3, 0)), check, attempts=2, backoff_seconds=3600
)
JOBS = (EXPIRE_HOLDS, LEDGER_CHECK)
