"""What admins and auditors read: every job of the enabled domains, its cadence, and its recent
runs, newest first. Read in one query however many jobs there are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from jobs.models import JobRun
from jobs.repository import JobRunRepository
from jobs.timetable import Entry


@dataclass(frozen=True)
class JobRecord:
    entry: Entry
    runs: list[JobRun]


def job_records(session: Session, entries: Sequence[Entry], *, runs: int) -> list[JobRecord]:
    """Each entry with the newest ``runs`` runs of its job (a drain records none)."""
    found: dict[str, list[JobRun]] = defaultdict(list)
    for run in JobRunRepository(session).recent([e.work.name for e in entries], runs):
        found[run.job].append(run)
    return [JobRecord(entry, found.get(entry.work.name, [])) for entry in entries]
