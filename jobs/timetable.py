"""The timetable: the jobs and drains of the domains a deployment turns on, each with its domain.

Filled only by the composition root (``toshav/plug_ins.py``) from the enabled manifests' ``jobs``,
in place of what was there; read by ``GET /api/v1/admin/jobs``. The worker is handed the same jobs
by the root directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jobs.exceptions import JobNamedTwice
from kernel.schedule import Drain, Job


@dataclass(frozen=True)
class Entry:
    domain: str
    work: Job | Drain


_entries: tuple[Entry, ...] = ()


def install(entries: Sequence[Entry]) -> None:
    """These entries, in place of what was installed; two jobs of one name are refused (a run is
    recorded under its job's name)."""
    global _entries
    names = [entry.work.name for entry in entries]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise JobNamedTwice(twice)
    _entries = tuple(entries)


def installed() -> tuple[Entry, ...]:
    return _entries
