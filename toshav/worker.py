"""The worker: runs the enabled domains' jobs and drains (``Manifest.jobs``), beside the server.

It ticks every ``TOSHAV_WORKER_TICK_SECONDS``: each tick runs the jobs whose period's run is due
and the drains whose turn has come. Any number of workers may run against one database; a
period's run happens once (``jobs.service.claims``). SIGTERM or SIGINT stops it between runs: the
run under way finishes and is recorded first.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from types import FrameType

from jobs.service.ticks import Outcome, Ticker
from kernel.clock import Clock, SystemClock
from kernel.database import make_engine, make_sessionmaker, own_transaction
from kernel.manifest import Manifest
from kernel.schedule import Drain, Job
from kernel.settings import Settings
from toshav.domains import enabled

logger = logging.getLogger("toshav.jobs")


def worker_name() -> str:
    """This process, as the runs record it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def scheduled(manifests: Sequence[Manifest]) -> list[Job | Drain]:
    """Every job and drain of these domains, in their order."""
    return [work for manifest in manifests for work in manifest.jobs]


@contextmanager
def ticker(
    settings: Settings,
    *,
    clock: Clock | None = None,
    name: str | None = None,
    work: Sequence[Job | Drain] | None = None,
    stop: threading.Event | None = None,
) -> Iterator[Ticker]:
    """A worker's ticker over the enabled domains' jobs (or ``work``), its database let go at the
    end."""
    engine = make_engine(settings.database_url)
    try:
        yield Ticker(
            settings=settings,
            work=scheduled(enabled(settings)) if work is None else work,
            transactions=partial(own_transaction, make_sessionmaker(engine)),
            clock=clock or SystemClock(),
            worker=name or worker_name(),
            lease_seconds=settings.worker_lease_seconds,
            stop=stop,
        )
    finally:
        engine.dispose()


def run_once(settings: Settings, *, clock: Clock | None = None) -> list[Outcome]:
    """What is due now, run once: every due job, and every drain once."""
    with ticker(settings, clock=clock) as worker:
        return [*worker.run_due_jobs(), *worker.run_drains(force=True)]


def run_forever(settings: Settings, *, stop: threading.Event | None = None) -> None:
    """Tick until SIGTERM or SIGINT (or ``stop`` is set)."""
    stop = stop or threading.Event()
    tick_seconds = settings.worker_tick_seconds

    def stopping(signum: int, _frame: FrameType | None) -> None:
        logger.info("worker stopping (%s)", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGINT, stopping)
    with ticker(settings, stop=stop) as worker:
        logger.info(
            "worker %s: %d jobs, %d drains, a tick every %ss",
            worker.worker,
            len(worker.jobs),
            len(worker.drains),
            tick_seconds,
        )
        while not stop.is_set():
            try:
                worker.tick()
            except Exception:  # the database away for a moment: try again next tick
                logger.exception("worker tick failed")
            stop.wait(tick_seconds)
    logger.info("worker stopped")
