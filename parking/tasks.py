"""Parking's nightly jobs: permits reconciled with their holders' residency and address, and old
inspections' plates removed (what ``toshav parking reconcile`` and ``anonymise`` run)."""

from __future__ import annotations

from datetime import time
from functools import partial

from kernel.schedule import Counts, Job, JobContext, daily
from parking.service import inspections, permits
from parking.settings import parking_settings


def reconcile_permits(context: JobContext) -> Counts:
    return {"ended": context.transactions(partial(permits.reconcile_everyone, now=context.now))}


def anonymise_inspections(context: JobContext) -> Counts:
    days = parking_settings(context.settings).parking_inspection_retention_days
    anonymised = context.transactions(
        partial(inspections.anonymise_inspections, now=context.now, older_than_days=days)
    )
    return {"anonymised": anonymised}


RECONCILE_PERMITS = Job("parking.reconcile_permits", daily(at=time(2, 30)), reconcile_permits)
ANONYMISE_INSPECTIONS = Job(
    "parking.anonymise_inspections", daily(at=time(3, 30)), anonymise_inspections
)
JOBS = (RECONCILE_PERMITS, ANONYMISE_INSPECTIONS)
