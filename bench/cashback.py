"""Benchmark: cashback purchases per second end to end over HTTP, beside the ledger's raw rate.

A fresh, migrated PostgreSQL database gets the city's streets and programmes, a signing key, an
approved business, a 10% campaign with a budget far beyond the run, and residents with cards. A
uvicorn server (its own process, on loopback) serves the real app; K client threads post
``POST /api/v1/cashback/purchases`` — each with a fresh card token and its own Idempotency-Key — for
the timed window after a warm-up. Every purchase verifies the token (ES256), consumes its jti,
decides eligibility (recorded), checks the caps, holds the cashback in the ledger and raises any
fraud flags, in one transaction. The server's processes' CPU time per purchase is printed too: of
the figures, it depends least on what else the machine runs. Then ``bench/ledger.py``'s own measurement posts raw two-posting
transactions into the same database, and the ratio of the two rates is printed, with p50/p99 of
each and what ``check_ledger`` says. The database is dropped and the server stopped at the end.
The limits on volume are off (every till comes from 127.0.0.1): the bench measures purchases, not
429s. While the tills buy, the database's running statements are sampled every 20 ms, and the
share of them waiting for a row lock is printed: a hot row shows as most of them waiting.

Before the timed run, ``--count-statements N`` (default 20) posts N purchases one at a time through
the app in this process and prints how many statements each sent to PostgreSQL (counted at the
driver, so the ledger's own psycopg statements count too, with BEGIN and COMMIT), listing one.

    TOSHAV_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/cashback.py
"""

from __future__ import annotations

import argparse
import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on the path, where this very file would shadow the
# ``cashback`` package: put the project's root there instead.
ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import inspections as inspections_bench  # noqa: E402
from bench import ledger as ledger_bench  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PURCHASE = 12_345  # agorot: ₪123.45, ₪12.34 of cashback


@dataclass
class Seeded:
    staff_id: uuid.UUID
    tokens: list[str]
    campaign_id: uuid.UUID


@dataclass
class Measured:
    latencies_ms: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    completed: int = 0  # every request answered, in the timed window or not

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def seed(url: str, settings_env: dict[str, str], residents: int, tokens: int) -> Seeded:
    """The city, a business, a funded campaign, residents with cards, and card tokens to scan."""
    from benefits.eligibility.service.city_clock import city_zone
    from benefits.eligibility.service.programme_files import load_programmes
    from cashback.models import BusinessCategory, MerchantStatus
    from cashback.service import campaigns, merchants
    from kernel.database import make_engine, make_sessionmaker
    from resident_card.accounts import service as accounts
    from resident_card.accounts.models import Role
    from resident_card.cards import service as cards
    from resident_card.city import service as city
    from resident_card.city.service import load_city
    from resident_card.credentials import service as credentials
    from resident_card.credentials.service import Keyring
    from resident_card.residents.identifiers import (
        IdentifierKind,
        id_number_check_digit,
        protect,
    )
    from resident_card.residents.models import ResidencyStatus
    from resident_card.residents.service import records as people
    from toshav import plug_ins
    from toshav.domains import EVERY
    from toshav.settings import ServiceSettings

    plug_ins.install(EVERY)  # the facts the parking programme's rules read, among them
    settings = ServiceSettings.model_validate(
        {
            "database_url": url,
            "var_dir": settings_env["TOSHAV_VAR_DIR"],
            "access_token_key": settings_env["TOSHAV_ACCESS_TOKEN_KEY"],
            "card_token_ttl_seconds": 3600,  # minted before the run, scanned during it
        }
    )
    now = datetime.now(UTC)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            load_city(session)
            load_programmes(session, now=now, zone=city_zone())
            credentials.rotate_key(
                session, settings, now=now - timedelta(minutes=1), activate_in=timedelta(0)
            )
            staff = accounts.create_user(
                session,
                settings,
                username="bench-till",
                password=uuid.uuid4().hex,
                roles=[Role.merchant],
            )
            merchant = merchants.apply(
                session,
                merchants.Application(
                    "515040012", "Bench café", BusinessCategory.cafe, "herzl", 20
                ),
                actor_id=staff.id,
                as_staff=True,
                now=now,
            )
            merchants.change_status(
                session,
                merchant.id,
                to=MerchantStatus.approved,
                reason="bench",
                actor_id=None,
                now=now,
            )
            campaign = campaigns.create_campaign(
                session,
                campaigns.CampaignTerms(
                    code="bench",
                    names={"he": "בנץ'", "ar": "بنش", "en": "Bench"},
                    rate_bp=1000,
                    starts_at=now - timedelta(hours=1),
                    cap_per_resident_month_agorot=10**9,
                    cap_per_resident_business_day_agorot=10**9,
                ),
                actor_id=None,
                now=now,
            )
            campaigns.top_up(
                session,
                campaign.id,
                amount_agorot=10**9,
                reason="bench",
                idempotency_key="bench",
                actor_id=None,
                now=now,
            )
            street = city.street_by_code(session, "herzl")
            assert street is not None
            key = settings.id_hash_key.get_secret_value()
            holders = []
            for index in range(residents):
                first_eight = f"{30_000_000 + index:08d}"
                number = first_eight + str(id_number_check_digit(first_eight))
                resident = people.add_resident(
                    session,
                    person=people.Person(
                        "Bench",
                        f"Resident {index}",
                        date(1980, 1, 1),
                        IdentifierKind.israeli_id,
                        number,
                    ),
                    protected=protect(key, IdentifierKind.israeli_id, number),
                    street=street,
                    address=people.Address(street.code, 10 + index % 90, None),
                    status=ResidencyStatus.verified,
                    reason="bench",
                    actor_id=None,
                    now=now - timedelta(days=400),
                    settings=settings,
                )
                card = cards.current_card(session, settings, resident, now=now)
                assert card is not None
                holders.append((card, resident))
            keyring = Keyring(settings)
            minted = [
                cards.mint_token(session, settings, keyring, *holders[i % residents], now=now).token
                for i in range(tokens)
            ]
            session.commit()
            return Seeded(staff.id, minted, campaign.id)
    finally:
        engine.dispose()


class StatementCount:
    """Statements sent to PostgreSQL, counted at the driver: those SQLAlchemy sends (seen by its
    ``before_cursor_execute`` event) and those the ledger sends straight to psycopg on the same
    connection (seen by a counting cursor class set when each connection opens), plus each
    transaction's BEGIN and COMMIT (psycopg sends those itself)."""

    def __init__(self) -> None:
        self.through_sqlalchemy: list[str] = []
        self.through_driver: list[str] = []
        self.commits = 0

    def install(self) -> None:
        import psycopg
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        seen = self

        class CountingCursor(psycopg.Cursor[Any]):
            def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return super().execute(query, *args, **kwargs)
                finally:
                    seen.note(query, started)

            def executemany(self, query: Any, *args: Any, **kwargs: Any) -> None:
                started = time.perf_counter()
                try:
                    super().executemany(query, *args, **kwargs)
                finally:
                    seen.note(query, started, many=True)

        def on_connect(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.cursor_factory = CountingCursor  # type: ignore[attr-defined]

        def on_execute(*args: object) -> None:
            self.through_sqlalchemy.append(" ".join(str(args[2]).split())[:110])

        def on_commit(_connection: object) -> None:
            self.commits += 1

        event.listen(Engine, "connect", on_connect)
        event.listen(Engine, "before_cursor_execute", on_execute)
        event.listen(Engine, "commit", on_commit)

    def note(self, query: Any, started: float, *, many: bool = False) -> None:
        took = (time.perf_counter() - started) * 1000
        text = " ".join(str(query).split())[:100] + ("  [many]" if many else "")
        self.through_driver.append(f"{took:6.2f} ms  {text}")

    def reset(self) -> None:
        self.through_driver.clear()
        self.through_sqlalchemy.clear()
        self.commits = 0

    @property
    def round_trips(self) -> int:
        """Every statement through a cursor, and BEGIN and COMMIT of each transaction."""
        return len(self.through_driver) + 2 * self.commits


def count_statements(
    url: str,
    env: dict[str, str],
    staff_id: uuid.UUID,
    tokens: list[str],
    purchases: int,
    residents: int,
) -> None:
    """Post ``purchases`` purchases through the real app in this process (no network), one at a
    time, and print the statements each one sent to PostgreSQL (the first one's listed) and how
    long each took. The residents have bought before (as nearly all have in the timed run): a
    first round for the same residents opens their cashback wallets and warms the app."""
    from fastapi.testclient import TestClient

    from resident_card.accounts.tokens import issue_access_token, keys_from_pem
    from toshav.app import create_app
    from toshav.settings import ServiceSettings

    counter = StatementCount()
    counter.install()
    settings = ServiceSettings.model_validate(
        {
            "database_url": url,
            "var_dir": env["TOSHAV_VAR_DIR"],
            "access_token_key": env["TOSHAV_ACCESS_TOKEN_KEY"],
            "limits_enabled": False,
        }
    )
    access = issue_access_token(
        keys_from_pem(env["TOSHAV_ACCESS_TOKEN_KEY"]),
        settings,
        user_id=staff_id,
        now=datetime.now(UTC),
    )
    headers = {"Authorization": f"Bearer {access}", "Accept-Language": "en"}
    # Tokens are minted round-robin over the residents: these are two of each of the last ones.
    last = len(tokens) - 1
    picked = [
        [last - j for j in range(purchases)],
        [last - residents - j for j in range(purchases)],
    ]
    rounds = [[tokens[i] for i in indexes] for indexes in picked]
    for index in sorted((i for indexes in picked for i in indexes), reverse=True):
        del tokens[index]
    per_purchase: list[int] = []
    took_ms: list[float] = []
    first: list[str] = []
    first_commits = 0
    with TestClient(create_app(settings)) as http:
        for round_number, round_tokens in enumerate(rounds):
            for number, token in enumerate(round_tokens):
                counter.reset()
                started = time.perf_counter()
                response = http.post(
                    "/api/v1/cashback/purchases",
                    json={"card_token": token, "amount_agorot": PURCHASE, "receipt": "c"},
                    headers={**headers, "Idempotency-Key": f"count-{round_number}-{number}"},
                )
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 201:
                    raise SystemExit(f"statement count: {response.status_code} {response.text}")
                if round_number == 0:
                    continue
                per_purchase.append(counter.round_trips)
                took_ms.append(elapsed)
                if not first:
                    first = list(counter.through_driver)
                    first_commits = counter.commits
    print(
        f"statements: per purchase (in process, one at a time, {purchases} residents' second "
        f"purchases): mean {statistics.fmean(per_purchase):.1f}, min {min(per_purchase)}, "
        f"max {max(per_purchase)} (every statement through a cursor, plus BEGIN and COMMIT); "
        f"{statistics.median(took_ms):.1f} ms each (median)"
    )
    for index, statement in enumerate(first, 1):
        print(f"  {index:2d}. {statement}")
    print(f"      + BEGIN and COMMIT of {first_commits} transaction(s)")


class LockWaits:
    """Samples, every 20 ms while the run lasts, what the bench database's busy backends are doing:
    how many run a statement, and how many of those wait for a row lock another transaction holds
    (``wait_event_type = 'Lock'``). A hot row shows as most of them waiting."""

    def __init__(self, admin: Any, name: str) -> None:
        self.admin = admin
        self.name = name
        self.busy = 0
        self.waiting = 0
        self.statements: Counter[str] = Counter()  # those that waited, by their text
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        from sqlalchemy import text

        query = text(
            "SELECT wait_event_type = 'Lock', left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
            "FROM pg_stat_activity WHERE datname = :name AND state = 'active'"
        )
        with self.admin.connect() as connection:
            while not self._stop.wait(0.02):
                for waiting, statement in connection.execute(query, {"name": self.name}):
                    self.busy += 1
                    if waiting:
                        self.waiting += 1
                        self.statements[statement] += 1

    def __enter__(self) -> LockWaits:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def share(self) -> float:
        return self.waiting / self.busy if self.busy else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "toshav.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit code {server.returncode})")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not become ready")


def run_purchases(
    base_url: str,
    headers: dict[str, str],
    tokens: list[str],
    clients: int,
    warmup: float,
    seconds: float,
) -> Measured:
    """K client threads, each with a keep-alive connection, post purchases until the window ends;
    requests sent and answered inside the window are measured."""
    pending: queue.SimpleQueue[str] = queue.SimpleQueue()
    for token in tokens:
        pending.put(token)
    measured = Measured()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    window: list[float] = []

    def client(number: int) -> None:
        latencies: list[float] = []
        answers: Counter[str] = Counter()
        completed = 0
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            barrier.wait()
            opens, closes = window
            sequence = 0
            while True:
                sent = time.perf_counter()
                if sent >= closes:
                    break
                try:
                    token = pending.get_nowait()
                except queue.Empty:
                    answers["out of tokens"] += 1
                    break
                sequence += 1
                response = http.post(
                    "/api/v1/cashback/purchases",
                    json={
                        "card_token": token,
                        "amount_agorot": PURCHASE,
                        "receipt": f"b{sequence}",
                    },
                    headers={"Idempotency-Key": f"bench-{number}-{sequence}"},
                )
                done = time.perf_counter()
                completed += 1
                if opens <= sent and done <= closes:
                    latencies.append((done - sent) * 1000)
                    answers[
                        str(response.status_code)
                        if response.status_code == 201
                        else f"{response.status_code} {response.json().get('error')}"
                    ] += 1
        with lock:
            measured.latencies_ms.extend(latencies)
            measured.answers.update(answers)
            measured.completed += completed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    window.extend([began + warmup, began + warmup + seconds])
    barrier.wait()
    for thread in threads:
        thread.join()
    return measured


def run_reads(
    base_url: str, headers: dict[str, str], path: str, clients: int, seconds: float
) -> int:
    """K client threads, each with a keep-alive connection, GET ``path`` for ``seconds``; the
    number of 200 answers. What the server spends on these is the floor under any request."""
    closes = time.perf_counter() + seconds
    answered: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        ok = 0
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            while time.perf_counter() < closes:
                ok += http.get(path).status_code == 200
        with lock:
            answered.append(ok)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(answered)


def floor(server_pid: int, base_url: str, headers: dict[str, str], url: str, clients: int) -> None:
    """The server's CPU per request for requests that do less than a purchase, over the same stack:
    the health check (the middleware and the router, no sign-in, no database) and reading one
    purchase back (a signed-in business: its token checked, a few reads)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        purchase = connection.execute(text("SELECT id FROM cashback_purchases LIMIT 1")).scalar()
    engine.dispose()
    for label, path in (
        ("GET /healthz", "/healthz"),
        ("GET a purchase", f"/api/v1/cashback/purchases/{purchase}"),
    ):
        before = inspections_bench.server_cpu(server_pid)
        answered = run_reads(base_url, headers, path, clients, 4.0)
        spent = inspections_bench.server_cpu(server_pid) - before
        print(
            f"floor:    {label}: {answered / 4.0:.0f} requests/s, "
            f"{spent * 1000 / max(answered, 1):.1f} ms of the server's CPU each"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="K: concurrent tills (threads)")
    parser.add_argument("--server-workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--seconds", type=float, default=8.0, help="the timed HTTP window")
    parser.add_argument("--ledger-seconds", type=float, default=5.0, help="the raw ledger run")
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--tokens", type=int, default=6000, help="card tokens minted up front")
    parser.add_argument(
        "--count-statements",
        type=int,
        default=20,
        metavar="N",
        help="first count the statements of N purchases in process (0: skip)",
    )
    options = parser.parse_args()

    from resident_card.accounts.tokens import (
        generate_private_pem,
        issue_access_token,
        keys_from_pem,
    )
    from toshav.settings import ServiceSettings

    server_url = os.environ.get("TOSHAV_BENCH_POSTGRES_URL", DEFAULT_URL)
    name = f"toshav_bench_cashback_{uuid.uuid4().hex[:8]}"
    admin = ledger_bench.admin_engine(server_url)
    server: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="toshav-bench-") as var_dir:
        pem = generate_private_pem()
        env = {
            "TOSHAV_DATABASE_URL": ledger_bench.database_url(server_url, name),
            "TOSHAV_VAR_DIR": var_dir,
            "TOSHAV_ACCESS_TOKEN_KEY": pem,
            "TOSHAV_ENV": "development",
            # Every till comes from 127.0.0.1: the bench measures purchases, not the 429s.
            "TOSHAV_LIMITS_ENABLED": "false",
        }
        try:
            ledger_bench.create_database(admin, name)
            url = ledger_bench.database_url(server_url, name)
            from toshav.schema import upgrade

            upgrade(url)
            started = time.perf_counter()
            seeded = seed(url, env, options.residents, options.tokens)
            print(
                f"setup:   {options.residents} residents with cards, {options.tokens} card tokens, "
                f"in {time.perf_counter() - started:.1f} s"
            )
            if options.count_statements:
                count_statements(
                    url,
                    env,
                    seeded.staff_id,
                    seeded.tokens,
                    options.count_statements,
                    options.residents,
                )
            port = free_port()
            server = start_server(env, port, options.server_workers)
            settings = ServiceSettings.model_validate(
                {"database_url": url, "var_dir": var_dir, "access_token_key": pem}
            )
            access = issue_access_token(
                keys_from_pem(pem), settings, user_id=seeded.staff_id, now=datetime.now(UTC)
            )
            headers = {"Authorization": f"Bearer {access}", "Accept-Language": "en"}
            cpu_before = inspections_bench.server_cpu(server.pid)
            with LockWaits(admin, name) as waits:
                run = run_purchases(
                    f"http://127.0.0.1:{port}",
                    headers,
                    seeded.tokens,
                    options.clients,
                    warmup=2.0,
                    seconds=options.seconds,
                )
            server_cpu = inspections_bench.server_cpu(server.pid) - cpu_before
            rate = len(run.latencies_ms) / options.seconds
            print(
                f"cashback: {options.clients} tills over HTTP to {options.server_workers} uvicorn "
                f"worker(s), {options.seconds:.0f} s: {len(run.latencies_ms)} purchases, "
                f"{rate:.0f} purchases/s, p50 {run.percentile(0.5):.1f} ms, "
                f"p99 {run.percentile(0.99):.1f} ms, mean "
                f"{statistics.fmean(run.latencies_ms) if run.latencies_ms else 0:.1f} ms"
            )
            print(f"          answers: {dict(run.answers)}")
            if run.completed:
                print(
                    f"cpu:      the server's processes spent {server_cpu * 1000 / run.completed:.1f} "
                    f"ms of CPU per purchase ({run.completed} purchases, warm-up included)"
                )
            floor(server.pid, f"http://127.0.0.1:{port}", headers, url, options.clients)
            server.terminate()
            server.wait(timeout=30)
            server = None
            print(
                f"locks:    of the statements running at the database (sampled every 20 ms), "
                f"{waits.share:.0%} were waiting for a row lock ({waits.waiting} of {waits.busy})"
            )
            for statement, times in waits.statements.most_common(3):
                print(f"          {times:5d} × {statement}")

            accounts = ledger_bench.prepare_ledger(url, 2000)
            raw = ledger_bench.run_ledger(url, accounts, 16, 1, options.ledger_seconds)
            print(
                f"ledger:   bench/ledger.py's run_ledger, 16 workers in 1 process, "
                f"{options.ledger_seconds:.0f} s: {raw.rate:.0f} tx/s, "
                f"p50 {raw.percentile(0.5):.2f} ms, p99 {raw.percentile(0.99):.2f} ms"
            )
            if raw.rate:
                print(
                    f"ratio:    purchases/s ÷ raw postings/s = {rate / raw.rate:.2f} "
                    f"(a purchase is one HTTP request and one transaction doing far more than a "
                    f"posting)"
                )
            print(f"check:    the ledger is {ledger_bench.check(url)}")
            print(f"          load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            ledger_bench.drop_database(admin, name)
            admin.dispose()


if __name__ == "__main__":
    main()
