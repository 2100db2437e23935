"""Retention applied: a domain's rules (``kernel.retention``) run by its nightly job, each run
recorded in the audit log with its kind, its cutoff, the days kept and the rows it changed.

A run is recorded even when it changed nothing, so the log shows the rule ran. The entry names
no person: it says what kind of record went, never which.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import partial

from sqlalchemy.orm import Session

from kernel.retention import Retention
from kernel.schedule import Counts, Job, JobContext, daily
from resident_card.audit import service as audit

ACTION = "retention.applied"
SUBJECT = "retention"


def apply(session: Session, rule: Retention, *, days: int, now: datetime) -> int:
    """Apply one rule to the records older than ``days`` before ``now``, and record the run."""
    if days < 1:
        raise ValueError("a record is kept at least a day")
    cutoff = now - timedelta(days=days)
    rows = rule.apply(session, cutoff, now)
    audit.record(
        session,
        actor_id=None,
        action=ACTION,
        subject_type=SUBJECT,
        subject_id=rule.kind,
        after={"days": days, "cutoff": cutoff.isoformat(), "rows": rows},
    )
    return rows


def retention_job(name: str, rules: tuple[Retention, ...], *, at: time) -> Job:
    """The nightly job that applies these rules, each in a transaction of its own, with the days
    the settings say; its counts are the rows each kind changed."""

    def run(context: JobContext) -> Counts:
        return {
            rule.kind: context.transactions(
                partial(apply, rule=rule, days=rule.days(context.settings), now=context.now)
            )
            for rule in rules
        }

    return Job(name, daily(at=at), run)
