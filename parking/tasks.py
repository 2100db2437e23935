"""Parking's nightly jobs: permits reconciled with their holders' residency and address (what
``toshav parking reconcile`` runs), and parking's records kept no longer than their retention
(inspections' plates, what ``toshav parking anonymise`` runs too, and sessions' vehicles)."""

from __future__ import annotations

from datetime import time
from functools import partial

from kernel.retention import Retention
from kernel.schedule import Counts, Job, JobContext, daily
from parking.service import inspections, parking_time, permits
from resident_card.audit.retention import retention_job


def reconcile_permits(context: JobContext) -> Counts:
    return {"ended": context.transactions(partial(permits.reconcile_everyone, now=context.now))}


INSPECTION_PLATES = Retention(
    "parking.inspection_plates",
    "parking_inspection_retention_days",
    inspections.anonymise_inspections,
)
SESSION_VEHICLES = Retention(
    "parking.session_vehicles", "parking_session_retention_days", parking_time.anonymise_sessions
)
RULES = (INSPECTION_PLATES, SESSION_VEHICLES)

RECONCILE_PERMITS = Job("parking.reconcile_permits", daily(at=time(2, 30)), reconcile_permits)
RETENTION = retention_job("parking.apply_retention", RULES, at=time(3, 30))
JOBS = (RECONCILE_PERMITS, RETENTION)
