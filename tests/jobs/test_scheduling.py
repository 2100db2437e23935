"""A job runs once per period however many workers tick; a run missed while no worker was up
happens when one comes back; a failing run is retried with back-off and then recorded failed; a run
whose worker died is taken again after its lease."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jobs.models import JobRun
from jobs.service import claims
from jobs.service.ticks import Ticker
from kernel.clock import SetClock, SystemClock
from kernel.schedule import Job, daily, every_minutes, monthly
from tests.conftest import FreshDatabase
from tests.jobs.conftest import Counter, runs_of, worker_on

# 10:00 in Jerusalem, mid-month: past every daily and monthly job's start.
NOON = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)


def _tick_together(workers: Sequence[Ticker], rounds: int = 3) -> None:
    start = threading.Barrier(len(workers))
    failures: list[BaseException] = []

    def work(worker: Ticker) -> None:
        try:
            start.wait()
            for _ in range(rounds):
                worker.tick()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []


def test_a_job_runs_once_per_period_however_many_workers_tick(
    fresh_database: FreshDatabase,
) -> None:
    clock = SetClock(NOON)
    counter = Counter(seconds=0.05)
    job = Job("test.nightly", daily(), counter)
    workers = [worker_on(fresh_database, clock, f"worker-{n}", [job]) for n in range(4)]

    _tick_together(workers)

    assert counter.calls == ["2026-12-10"]
    with fresh_database.session() as session:
        (run,) = runs_of(session, "test.nightly")
        assert (run.period_key, run.status, run.attempt, run.counts) == (
            "2026-12-10",
            "succeeded",
            1,
            {"done": 1},
        )
        assert run.worker.startswith("worker-")
        assert run.started_at == NOON
        assert run.finished_at == NOON
        assert run.lease_until is None
        assert run.error is None


@pytest.mark.postgres_only
def test_two_workers_on_postgresql_never_run_one_job_twice(
    fresh_database: FreshDatabase,
) -> None:
    clock = SetClock(NOON)
    every = Counter()
    flaky = Counter(failures=2)
    work: list[Job] = [
        Job("test.every_minute", every_minutes(1), every),
        Job("test.flaky", every_minutes(1), flaky, attempts=5, backoff_seconds=0),
    ]
    workers = [worker_on(fresh_database, clock, f"worker-{n}", list(work)) for n in range(2)]

    for _minute in range(10):
        _tick_together(workers, rounds=4)
        clock.advance(minutes=1)

    local = NOON.astimezone(ZoneInfo("Asia/Jerusalem"))
    periods = [(local + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M") for m in range(10)]
    assert sorted(every.calls) == periods  # each period once
    # The first period failed twice, then succeeded: three calls, never two at once.
    assert sorted(flaky.calls) == sorted([periods[0], periods[0], *periods])
    with fresh_database.session() as session:
        first = session.scalars(
            select(JobRun).where(JobRun.job == "test.flaky", JobRun.period_key == periods[0])
        ).one()
        assert (first.status, first.attempt) == ("succeeded", 3)


def test_a_missed_run_happens_once_when_a_worker_comes_back(
    fresh_database: FreshDatabase,
) -> None:
    # No worker was up at 02:00 or at the month's start; one comes back at 10:00.
    clock = SetClock(NOON)
    nightly, monthly_counter = Counter(), Counter()
    work: list[Job] = [
        Job("test.nightly", daily(at=time(2, 0)), nightly),
        Job("test.monthly", monthly(), monthly_counter),
    ]
    worker = worker_on(fresh_database, clock, "worker", work)

    done = worker.tick()
    again = worker.tick()
    clock.advance(hours=12)  # 22:00 the same day: still the same periods
    later = worker.tick()

    assert [(o.name, o.period_key, o.status) for o in done] == [
        ("test.nightly", "2026-12-10", "succeeded"),
        ("test.monthly", "2026-12", "succeeded"),
    ]
    assert again == []
    assert later == []
    assert (nightly.calls, monthly_counter.calls) == (["2026-12-10"], ["2026-12"])

    clock.advance(hours=5)  # 03:00 the next day, in the city
    assert [o.period_key for o in worker.tick()] == ["2026-12-11"]
    assert nightly.calls == ["2026-12-10", "2026-12-11"]


def test_a_failing_job_is_retried_with_back_off_then_recorded_failed(
    fresh_database: FreshDatabase,
) -> None:
    clock = SetClock(NOON)
    counter = Counter(failures=10)
    job = Job("test.failing", daily(), counter, attempts=3, backoff_seconds=10)
    worker = worker_on(fresh_database, clock, "worker", [job])

    def run() -> JobRun:
        with fresh_database.session() as session:
            (found,) = runs_of(session, "test.failing")
            return found

    first = worker.tick()
    assert [(o.status, o.attempt) for o in first] == [("retrying", 1)]
    assert first[0].error == "RuntimeError: failure number 1"
    assert (run().status, run().next_attempt_at) == ("retrying", NOON + timedelta(seconds=10))

    clock.advance(seconds=9)
    assert worker.tick() == []  # not yet: the back-off is 10 seconds
    clock.advance(seconds=1)
    assert [(o.status, o.attempt) for o in worker.tick()] == [("retrying", 2)]
    assert run().next_attempt_at == clock.now() + timedelta(seconds=20)  # doubled

    clock.advance(seconds=19)
    assert worker.tick() == []
    clock.advance(seconds=1)
    assert [(o.status, o.attempt) for o in worker.tick()] == [("failed", 3)]

    clock.advance(hours=1)
    assert worker.tick() == []  # given up for the day
    failed = run()
    assert (failed.status, failed.attempt, failed.next_attempt_at) == ("failed", 3, None)
    assert failed.error == "RuntimeError: failure number 3"
    assert failed.finished_at == clock.now() - timedelta(hours=1)
    assert len(counter.calls) == 3


def test_a_run_whose_worker_died_is_taken_again_after_its_lease(
    fresh_database: FreshDatabase,
) -> None:
    clock = SetClock(NOON)
    counter = Counter()
    job = Job("test.nightly", daily(), counter)
    # A worker claimed the day's run and died before finishing it.
    with fresh_database.session() as session:
        held = claims.claim(
            session,
            job=job.name,
            period_key="2026-12-10",
            attempts=job.attempts,
            worker="died",
            now=NOON,
            lease_seconds=60,
        )
        session.commit()
    assert held is not None
    worker = worker_on(fresh_database, clock, "survivor", [job])

    clock.advance(seconds=59)
    assert worker.tick() == []  # its lease still holds
    clock.advance(seconds=2)
    assert [(o.status, o.attempt) for o in worker.tick()] == [("succeeded", 2)]
    with fresh_database.session() as session:
        (run,) = runs_of(session, job.name)
        assert (run.worker, run.status, run.attempt) == ("survivor", "succeeded", 2)
    # The dead worker's late word changes nothing.
    with fresh_database.session() as session:
        assert not claims.succeeded(session, held, counts={"done": 9}, now=clock.now())
        session.commit()
    assert counter.calls == ["2026-12-10"]


def test_a_retry_left_when_its_period_ended_is_recorded_failed(
    fresh_database: FreshDatabase,
) -> None:
    clock = SetClock(NOON)
    counter = Counter(failures=1)
    job = Job("test.nightly", daily(), counter, backoff_seconds=86_400)
    worker = worker_on(fresh_database, clock, "worker", [job])
    assert [o.status for o in worker.tick()] == ["retrying"]

    clock.advance(days=1)
    assert [(o.period_key, o.status) for o in worker.tick()] == [("2026-12-11", "succeeded")]
    with fresh_database.session() as session:
        first, second = runs_of(session, job.name)
        assert (first.period_key, first.status) == ("2026-12-10", "failed")
        assert first.error == "RuntimeError: failure number 1"
        assert second.status == "succeeded"


def test_each_job_keeps_its_newest_runs_only(
    fresh_database: FreshDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claims, "KEPT_RUNS", 3)
    clock = SetClock(NOON)
    worker = worker_on(fresh_database, clock, "worker", [Job("test.nightly", daily(), Counter())])
    for _day in range(5):
        worker.tick()
        clock.advance(days=1)

    with fresh_database.session() as session:
        kept = [run.period_key for run in runs_of(session, "test.nightly")]
    assert kept == ["2026-12-12", "2026-12-13", "2026-12-14"]


def test_a_stopping_worker_starts_no_further_run(fresh_database: FreshDatabase) -> None:
    clock = SetClock(NOON)
    counter = Counter()
    worker = worker_on(fresh_database, clock, "worker", [Job("test.nightly", daily(), counter)])

    worker.stop.set()

    assert worker.tick() == []
    assert counter.calls == []


def test_a_long_run_keeps_its_lease_while_its_worker_lives(
    fresh_database: FreshDatabase,
) -> None:
    counter = Counter(seconds=4.0)
    job = Job("test.nightly", daily(), counter)
    clock = SystemClock()
    busy = worker_on(fresh_database, clock, "busy", [job])
    busy.lease_seconds = 1.5  # renewed every 0.5 s while the job runs
    other = worker_on(fresh_database, clock, "other", [job])
    running = threading.Thread(target=busy.tick)
    running.start()
    try:
        while not counter.calls:  # the busy worker has claimed the run and started it
            threading.Event().wait(0.01)
        for _ in range(7):  # well past the first lease's end
            threading.Event().wait(0.5)
            assert other.tick() == []
    finally:
        running.join(timeout=30)

    assert len(counter.calls) == 1
    with fresh_database.session() as session:
        (run,) = runs_of(session, job.name)
        assert (run.worker, run.status, run.attempt) == ("busy", "succeeded", 1)
