"""One worker's turn: the jobs whose period's run is due, and the drains whose turn has come.

Every worker ticks the same way, however many run: a job's run is claimed before it is run
(``claims``), so a period's run happens once; a drain claims each item it takes. The period is
the job's cadence's, on the city's calendar (``Settings.city_time_zone``): a worker that comes
back within a period whose run nobody made runs it then.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from jobs.models import RunStatus
from jobs.service import claims
from jobs.service.claims import Claim
from kernel.clock import Clock
from kernel.schedule import Drain, Job, JobContext, Transactions
from kernel.settings import Settings

logger = logging.getLogger("toshav.jobs")


@dataclass(frozen=True)
class Outcome:
    """What one tick did with one job or drain."""

    name: str
    period_key: str
    status: str  # a run's status; "drained" for a drain
    attempt: int = 1
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None


class Ticker:
    """A worker's schedule: ``tick()`` runs what is due now and says what it did."""

    def __init__(
        self,
        *,
        settings: Settings,
        work: Sequence[Job | Drain],
        transactions: Transactions,
        clock: Clock,
        worker: str,
        lease_seconds: float,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.jobs = [item for item in work if isinstance(item, Job)]
        self.drains = [item for item in work if isinstance(item, Drain)]
        self.transactions = transactions
        self.clock = clock
        self.worker = worker
        self.lease_seconds = lease_seconds
        self.zone = ZoneInfo(settings.city_time_zone)
        # Once set, no further run starts: the one under way finishes and is recorded.
        self.stop = stop or threading.Event()
        self._drained_at: dict[str, float] = {}

    def tick(self) -> list[Outcome]:
        return [*self.run_due_jobs(), *self.run_drains()]

    def run_due_jobs(self) -> list[Outcome]:
        now = self.clock.now()
        local = now.astimezone(self.zone)
        periods = {job.name: job.cadence.period(local) for job in self.jobs}
        keys = {(name, key) for name, (key, _start) in periods.items()}
        found = self.transactions(partial(claims.seen, keys=keys)) if keys else {}
        outcomes: list[Outcome] = []
        for job in self.jobs:
            if self.stop.is_set():
                break
            key, start = periods[job.name]
            there = found.get((job.name, key))
            if there is not None and not there.claimable(now):
                continue
            held = self.transactions(
                partial(
                    claims.claim,
                    job=job.name,
                    period_key=key,
                    attempts=job.attempts,
                    worker=self.worker,
                    now=now,
                    lease_seconds=self.lease_seconds,
                )
            )
            if held is not None:
                outcomes.append(self._run(job, held, key, start))
        return outcomes

    def _run(self, job: Job, held: Claim, key: str, start: datetime) -> Outcome:
        context = JobContext(
            settings=self.settings,
            now=self.clock.now(),
            period_key=key,
            period_start=start,
            transactions=self.transactions,
        )
        logger.info("%s %s: attempt %d started (%s)", job.name, key, held.attempt, self.worker)
        with self._lease_kept(held):
            try:
                counts = {str(k): int(v) for k, v in job.run(context).items()}
            except Exception as exc:
                logger.exception("%s %s: attempt %d failed", job.name, key, held.attempt)
                error = f"{type(exc).__name__}: {exc}"
                status = self.transactions(
                    partial(
                        claims.failed,
                        held=held,
                        error=error,
                        attempts=job.attempts,
                        backoff_seconds=job.backoff_seconds,
                        now=self.clock.now(),
                    )
                )
                return Outcome(job.name, key, status, held.attempt, {}, error)
        self.transactions(partial(claims.succeeded, held=held, counts=counts, now=self.clock.now()))
        logger.info("%s %s: succeeded %s", job.name, key, counts)
        return Outcome(job.name, key, RunStatus.succeeded.value, held.attempt, counts)

    @contextmanager
    def _lease_kept(self, held: Claim) -> Iterator[None]:
        """Renew the run's lease while it runs, a third of the lease apart, so that only a worker
        that died lets it lapse."""
        done = threading.Event()

        def keep() -> None:
            while not done.wait(self.lease_seconds / 3):
                try:
                    self.transactions(
                        partial(
                            claims.renew,
                            held=held,
                            now=self.clock.now(),
                            lease_seconds=self.lease_seconds,
                        )
                    )
                except Exception:
                    logger.exception("renewing the lease of run %s failed", held.run_id)

        keeper = threading.Thread(target=keep, name=f"lease-{held.run_id}", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()

    def run_drains(self, *, force: bool = False) -> list[Outcome]:
        """Each drain whose ``every_seconds`` have passed since this worker last ran it (every
        drain when ``force``)."""
        outcomes: list[Outcome] = []
        for drain in self.drains:
            if self.stop.is_set():
                break
            last = self._drained_at.get(drain.name)
            if not force and last is not None and time.monotonic() - last < drain.every_seconds:
                continue
            self._drained_at[drain.name] = time.monotonic()
            now = self.clock.now()
            context = JobContext(
                settings=self.settings,
                now=now,
                period_key=now.isoformat(timespec="seconds"),
                period_start=now.astimezone(self.zone),
                transactions=self.transactions,
            )
            try:
                done = drain.run(context)
            except Exception as exc:
                logger.exception("%s failed", drain.name)
                outcomes.append(
                    Outcome(
                        drain.name, "", RunStatus.failed.value, error=f"{type(exc).__name__}: {exc}"
                    )
                )
                continue
            if done:
                logger.info("%s: %d done", drain.name, done)
            outcomes.append(Outcome(drain.name, "", "drained", counts={"done": done}))
        return outcomes
