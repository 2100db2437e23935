"""Benchmark: the ledger's posting rate against pgbench's TPC-B-like rate on the same server.

K workers (default 16, threads spread over P processes) post two-posting transfers into a fresh,
migrated PostgreSQL database, in two modes: ``single``, each transfer through ``post_transaction``
in a transaction of its own; ``batched``, each through the process's ``LedgerBatcher`` (group
commit: what gathers while a batch is written goes in the next one). Every mode runs with the
workers in one process and in several; pgbench runs its TPC-B-like script with the same K clients
on the same server (its own scratch database), taking turns with the ledger round by round. Prints
transactions/s, p50 and p99, the ratio to pgbench and the client CPU per transaction of each, and
what ``check_ledger`` says of the ledger afterwards. Both databases are dropped at the end.

    TOSHAV_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/ledger.py
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

# Run as a file, Python looks in bench/ first, where cashback.py would hide the cashback package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PGBENCH_FALLBACK = "/usr/lib/postgresql/15/bin/pgbench"
FUNDS = 10**9  # per account: far more than a run can spend
MODES = ("single", "batched")


@dataclass(frozen=True)
class Run:
    transactions: int
    seconds: float
    latencies_ms: list[float]
    client_cpu: float  # CPU seconds the workers spent in the timed window

    @property
    def rate(self) -> float:
        return self.transactions / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def admin_engine(server_url: str) -> Engine:
    url = make_url(server_url).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def database_url(server_url: str, name: str) -> str:
    return (
        make_url(server_url)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


def create_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))


def drop_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def prepare_ledger(url: str, accounts: int) -> list[uuid.UUID]:
    """Migrate, then open ``accounts`` resident accounts funded from the city in one transaction."""
    from benefits.ledger.service.accounts import get_or_create_account
    from benefits.ledger.service.posting import PostingInput
    from benefits.ledger.service.transactions import post_transaction
    from kernel.database import make_engine, make_sessionmaker
    from toshav.schema import upgrade

    upgrade(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    try:
        with make_sessionmaker(engine)() as session:
            city = get_or_create_account(
                session,
                owner_type="city",
                owner_id=None,
                purpose="issuance",
                unit="ILS",
                allow_negative=True,
            )
            ids = [
                get_or_create_account(
                    session,
                    owner_type="resident",
                    owner_id=uuid.uuid4(),
                    purpose="cashback",
                    unit="ILS",
                ).id
                for _ in range(accounts)
            ]
            post_transaction(
                session,
                idempotency_key="bench:funding",
                kind="grant",
                postings=[
                    PostingInput(city.id, -FUNDS * accounts),
                    *(PostingInput(account_id, FUNDS) for account_id in ids),
                ],
                now=now,
            )
            session.commit()
    finally:
        engine.dispose()
    return ids


def post_transfers(
    post: Callable[[str, list[Any]], object],
    accounts: list[uuid.UUID],
    number: int,
    window: tuple[float, float],
    latencies: list[float],
) -> None:
    """One worker: transfers between random accounts, one transaction each, until the window
    closes; the latencies of those sent and finished inside it are kept."""
    from benefits.ledger.service.posting import PostingInput

    window_opens, window_closes = window
    chooser = random.Random(number)
    tag = uuid.uuid4().hex[:8]
    sequence = 0
    while True:
        sent = time.perf_counter()
        if sent >= window_closes:
            return
        payer, payee = chooser.sample(accounts, 2)
        amount = chooser.randint(1, 100)
        sequence += 1
        post(
            f"bench:{tag}:{number}:{sequence}",
            [PostingInput(payer, -amount), PostingInput(payee, amount)],
        )
        done = time.perf_counter()
        if window_opens <= sent and done <= window_closes:
            latencies.append((done - sent) * 1000)


def single(sessions: sessionmaker[Session]) -> Callable[[str, list[Any]], object]:
    """Each transfer through ``post_transaction``, in a transaction of its own."""
    from benefits.ledger.service.transactions import post_transaction

    def post(key: str, postings: list[Any]) -> object:
        with sessions() as session:
            transaction = post_transaction(
                session, idempotency_key=key, kind="transfer", postings=postings, now=now()
            )
            session.commit()
        return transaction.id

    return post


def batched(batcher: Any) -> Callable[[str, list[Any]], object]:
    """Each transfer through the process's batcher (group commit)."""
    from benefits.ledger.service.batching import standalone

    def post(key: str, postings: list[Any]) -> object:
        asked = standalone(idempotency_key=key, kind="transfer", postings=postings, now=now())
        return batcher.post(asked).id

    return post


def now() -> datetime:
    return datetime.now(UTC)


def worker_process(
    url: str,
    mode: str,
    writers: int,
    first: int,
    threads: int,
    accounts: list[uuid.UUID],
    ready: multiprocessing.Queue[int],
    start: Event,
    warmup: float,
    seconds: float,
    results: multiprocessing.Queue[tuple[list[float], float]],
) -> None:
    """A process running ``threads`` workers: each with its own session and connection
    (``single``), or all through one batcher of the process (``batched``)."""
    from benefits.ledger.service.batching import LedgerBatcher
    from kernel.database import make_engine, make_sessionmaker

    # Long-lived connections, one per worker or batch writer: no liveness ping before each use.
    pool = threads if mode == "single" else writers
    engine = make_engine(url, pool_size=pool, max_overflow=0, pool_pre_ping=False)
    sessions = make_sessionmaker(engine)
    held = [engine.connect() for _ in range(pool)]  # open them before the start line
    for connection in held:
        connection.close()
    batcher = LedgerBatcher(sessions, writers=writers) if mode == "batched" else None
    post = single(sessions) if batcher is None else batched(batcher.start())
    ready.put(first)
    start.wait()
    began = time.perf_counter()
    window = (began + warmup, began + warmup + seconds)
    measured: list[list[float]] = [[] for _ in range(threads)]
    workers = [
        threading.Thread(
            target=post_transfers,
            args=(post, accounts, first + index, window, measured[index]),
        )
        for index in range(threads)
    ]
    time.sleep(max(0.0, window[0] - time.perf_counter()))
    cpu_at_open = time.process_time()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    cpu = time.process_time() - cpu_at_open
    if batcher is not None:
        batcher.stop()
    engine.dispose()
    results.put(([latency for latencies in measured for latency in latencies], cpu))


def run_ledger(
    url: str,
    accounts: list[uuid.UUID],
    workers: int,
    processes: int,
    seconds: float,
    *,
    mode: str = "single",
    writers: int = 1,
) -> Run:
    """K workers spread over P processes (threads inside each: the GIL is let go while a worker
    waits for the database), posting one by one or through each process's batcher."""
    context = multiprocessing.get_context("spawn")
    ready: multiprocessing.Queue[int] = context.Queue()
    results: multiprocessing.Queue[tuple[list[float], float]] = context.Queue()
    start = context.Event()
    warmup = 2.0
    shares = [
        workers // processes + (1 if i < workers % processes else 0) for i in range(processes)
    ]
    started = [
        context.Process(
            target=worker_process,
            args=(
                url,
                mode,
                writers,
                sum(shares[:i]),
                share,
                accounts,
                ready,
                start,
                warmup,
                seconds,
                results,
            ),
        )
        for i, share in enumerate(shares)
        if share
    ]
    for process in started:
        process.start()
    for _ in started:
        ready.get(timeout=120)
    start.set()
    latencies: list[float] = []
    cpu = 0.0
    for _ in started:
        measured, used = results.get(timeout=warmup + seconds + 120)
        latencies.extend(measured)
        cpu += used
    for process in started:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a ledger worker process failed (exit code {process.exitcode})")
    return Run(transactions=len(latencies), seconds=seconds, latencies_ms=latencies, client_cpu=cpu)


def pgbench_binary() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    if os.path.exists(PGBENCH_FALLBACK):
        return PGBENCH_FALLBACK
    raise SystemExit("pgbench was not found on PATH nor at " + PGBENCH_FALLBACK)


class Pgbench:
    """pgbench on the same server, in a scratch database of its own."""

    def __init__(self, server_url: str, name: str, clients: int) -> None:
        url = make_url(server_url)
        self.connect = [
            "-h",
            url.host or "127.0.0.1",
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
        ]
        self.environment = dict(os.environ)
        if url.password:
            self.environment["PGPASSWORD"] = url.password
        self.binary = pgbench_binary()
        self.name = name
        self.clients = clients

    def initialise(self) -> None:
        subprocess.run(
            [self.binary, *self.connect, "-i", "-q", "-s", str(self.clients), self.name],
            check=True,
            capture_output=True,
            env=self.environment,
        )

    def run(self, seconds: float) -> tuple[float, float]:
        """The TPC-B-like script with the same K clients: transactions/s, average latency (ms)."""
        threads = max(1, min(self.clients, os.cpu_count() or 1))
        done = subprocess.run(
            [
                self.binary,
                *self.connect,
                "-c",
                str(self.clients),
                "-j",
                str(threads),
                "-T",
                str(round(seconds)),
                self.name,
            ],
            check=True,
            capture_output=True,
            text=True,
            env=self.environment,
        )
        rate = re.search(r"tps = ([0-9.]+)", done.stdout)
        latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
        if rate is None or latency is None:
            raise SystemExit("could not read pgbench's output:\n" + done.stdout + done.stderr)
        return float(rate.group(1)), float(latency.group(1))


def check(url: str) -> str:
    from benefits.ledger.service.check import check_ledger
    from kernel.database import make_engine, make_sessionmaker

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            result = check_ledger(session)
    finally:
        engine.dispose()
    counted = (
        f"{result.accounts} accounts, {result.transactions} transactions, "
        f"{result.postings} postings, {result.holds} holds"
    )
    if result.violation is not None:
        return f"NOT sound ({counted}): {result.violation}"
    return f"sound ({counted})"


def pooled(runs: list[Run]) -> Run:
    return Run(
        transactions=sum(r.transactions for r in runs),
        seconds=sum(r.seconds for r in runs),
        latencies_ms=[latency for r in runs for latency in r.latencies_ms],
        client_cpu=sum(r.client_cpu for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers", type=int, default=16, help="K: ledger workers and pgbench clients"
    )
    parser.add_argument(
        "--processes",
        default="1,2",
        help="the numbers of processes the K workers are spread over, one configuration each "
        "(default 1,2: one process, and two)",
    )
    parser.add_argument(
        "--mode",
        choices=(*MODES, "both"),
        default="both",
        help="single: each transfer in a transaction of its own; batched: through the process's "
        "batcher (group commit); both (default)",
    )
    parser.add_argument(
        "--writers", type=int, default=1, help="batch writers per process (batched mode)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each timed run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="the ledger's configurations and pgbench take turns this many times, so a busy "
        "spell on the machine weighs on all",
    )
    parser.add_argument(
        "--accounts", type=int, default=2000, help="resident accounts to move between"
    )
    options = parser.parse_args()
    modes = MODES if options.mode == "both" else (options.mode,)
    counts = [int(n) for n in str(options.processes).split(",") if n.strip()]
    configurations = [(mode, processes) for mode in modes for processes in counts]

    server = os.environ.get("TOSHAV_BENCH_POSTGRES_URL", DEFAULT_URL)
    tag = uuid.uuid4().hex[:8]
    ledger_db, pgbench_db = f"toshav_bench_{tag}", f"toshav_pgbench_{tag}"
    admin = admin_engine(server)
    created: list[str] = []
    try:
        create_database(admin, ledger_db)
        created.append(ledger_db)
        url = database_url(server, ledger_db)
        accounts = prepare_ledger(url, options.accounts)
        create_database(admin, pgbench_db)
        created.append(pgbench_db)
        pgbench = Pgbench(server, pgbench_db, options.workers)
        pgbench.initialise()
        runs: dict[tuple[str, int], list[Run]] = {c: [] for c in configurations}
        baselines: list[float] = []
        latencies: list[float] = []
        loads: list[float] = []
        for round_number in range(1, options.rounds + 1):
            loads.append(os.getloadavg()[0])
            said: list[str] = []
            for mode, processes in configurations:
                run = run_ledger(
                    url,
                    accounts,
                    options.workers,
                    processes,
                    options.seconds,
                    mode=mode,
                    writers=options.writers,
                )
                runs[(mode, processes)].append(run)
                said.append(f"{mode}/{processes}p {run.rate:.0f}")
            rate, latency = pgbench.run(options.seconds)
            baselines.append(rate)
            latencies.append(latency)
            ratios = ", ".join(
                f"{mode}/{processes}p {runs[(mode, processes)][-1].rate / rate:.2f}"
                for mode, processes in configurations
            )
            print(
                f"round {round_number}: ledger {', '.join(said)} tx/s; pgbench {rate:.0f} tx/s; "
                f"ratios {ratios}",
                flush=True,
            )
        baseline = statistics.fmean(baselines)
        print(
            f"pgbench: TPC-B-like, scale {options.workers}, {options.workers} clients, same server: "
            f"{baseline:.0f} tx/s, latency avg {statistics.fmean(latencies):.2f} ms"
        )
        for (mode, processes), measured in runs.items():
            total = pooled(measured)
            cpu = total.client_cpu / total.transactions * 1000 if total.transactions else 0.0
            writers = f", {options.writers} writer(s) each" if mode == "batched" else ""
            print(
                f"ledger {mode}: K={options.workers} workers in {processes} process(es){writers}, "
                f"{options.rounds} x {options.seconds:.0f} s: {total.rate:.0f} tx/s, "
                f"p50 {total.percentile(0.50):.2f} ms, p99 {total.percentile(0.99):.2f} ms, "
                f"client CPU {cpu:.2f} ms/transaction; ratio to pgbench {total.rate / baseline:.2f}"
            )
        print(
            f"(aim: ratio at least 0.5; load average {statistics.fmean(loads):.1f} at the rounds' "
            f"starts on {os.cpu_count()} CPUs)"
        )
        print(f"check:   the ledger is {check(url)}")
    finally:
        for name in reversed(created):
            drop_database(admin, name)
        admin.dispose()


if __name__ == "__main__":
    main()
