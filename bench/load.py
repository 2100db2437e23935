"""Load: a realistic mix of requests against PostgreSQL, with one and with two server processes,
beside a trivial endpoint of the same servers in the same run.

    .venv/bin/python bench/load.py [--seconds 20] [--rounds 2] [--clients 64] [--processes 1 2]

A fresh, migrated PostgreSQL database gets what ``bench/cashback.py`` seeds (the city, the
programmes, a signing key, an approved café with a funded 10% campaign, residents with cards), and
on top of it: a sign-in for every resident, the parking zones, a vehicle with a permit and its pass
for one resident of each household, and an inspector. Then, for each number of processes,
``toshav serve --workers N`` (the real command, uvicorn's workers sharing one port) serves it on
loopback, and ``--clients`` concurrent clients (httpx async, in this process, each sending its next
request as soon as the last is answered) take turns between two cases, in short rounds:

- ``trivial``: ``GET /healthz`` only, a JSON answer that touches nothing: what the servers, the
  network stack and this client can do at most;
- ``mix``: each request drawn at random, as residents, inspectors and tills would send them:
  - 60 % **token**: a resident's wallet refreshes its card's QR (``POST /api/v1/cards/me/token``:
    the resident's standing, the card, an ES256 signature);
  - 25 % **inspection**: an inspector checks a car (``POST /api/v1/parking/inspections``): four in
    five scan a pass, one in five types the plate; every verdict must be ``valid_permit``;
  - 10 % **purchase**: a till records a purchase (``POST /api/v1/cashback/purchases``) with a card
    token a wallet fetched moments before in the same run, and an Idempotency-Key: eligibility,
    caps, a ledger hold and the fraud signals, in one transaction. Every purchase is at the one
    café under the one campaign, so purchases queue for its budget account's row lock, as they
    would at a single busy business;
  - 5 % **statement**: a resident reads their cashback statement (``GET /api/v1/cashback/me/statement``).

Each case keeps its best round (a busy machine only ever slows a round down). Printed per number
of processes: throughput and p50/p95/p99 of ``trivial``, of the mix, and of each kind in the mix,
the servers' and this client's CPU time per request, and the ratios mix/trivial and two/one. Every
answer is checked (status, and the verdict of an inspection); any other answer is counted and
shown, and makes the run exit 1. The ledger is checked at the end; the database is dropped.

The limits on volume are switched off for the servers (``LIMITS_OFF``): the synthetic clients all
come from 127.0.0.1, and the bench measures the work, not the 429s.

    TOSHAV_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/load.py
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on the path, where bench/cashback.py would shadow the
# ``cashback`` package: put the project's root there instead.
ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import uvloop  # noqa: E402

from bench import cashback as cashback_bench  # noqa: E402
from bench import inspections as inspections_bench  # noqa: E402
from bench import ledger as ledger_bench  # noqa: E402

# The servers run with the limits on volume off: every synthetic client shares one address.
LIMITS_OFF = {"TOSHAV_LIMITS_ENABLED": "false"}
MIX = (("token", 60), ("inspection", 25), ("purchase", 10), ("statement", 5))
PLATE_SHARE = 0.2  # of inspections: a typed plate rather than a scanned pass
PURCHASE = 12_345  # agorot


@dataclass
class World:
    """What the clients act as: residents' bearer headers, inspectors' passes and plates, a till."""

    residents: list[dict[str, str]]
    inspector: dict[str, str]
    till: dict[str, str]
    passes: list[tuple[str, str]]  # (pass token, zone)
    plates: list[tuple[str, str]]  # (plate, zone)
    spare_tokens: list[str]  # card tokens minted up front, for purchases before any refresh


def seed(url: str, env: dict[str, str], residents: int) -> World:
    """bench/cashback.py's city, café, campaign and residents with cards; then a sign-in for each
    resident, the zones, and a permit with its pass for one resident of each household."""
    from sqlalchemy import select

    from kernel.database import make_engine, make_sessionmaker
    from parking.models import VehicleRelation
    from parking.service import vehicles, zones
    from parking.service.permits import apply_for_permit
    from resident_card.accounts import service as accounts
    from resident_card.accounts.models import Role, User
    from resident_card.accounts.passwords import hash_password
    from resident_card.accounts.tokens import issue_access_token, keys_from_pem
    from resident_card.credentials.service import Keyring
    from resident_card.residents.models import Resident
    from toshav.settings import ServiceSettings

    seeded = cashback_bench.seed(url, env, residents, tokens=200)
    settings = ServiceSettings.model_validate(
        {
            "database_url": url,
            "var_dir": env["TOSHAV_VAR_DIR"],
            "access_token_key": env["TOSHAV_ACCESS_TOKEN_KEY"],
            "access_token_ttl_seconds": 86_400,  # issued here, used for the whole run
        }
    )
    now = datetime.now(UTC)
    keys = keys_from_pem(env["TOSHAV_ACCESS_TOKEN_KEY"])

    def bearer(user_id: uuid.UUID) -> dict[str, str]:
        token = issue_access_token(keys, settings, user_id=user_id, now=now)
        return {"Authorization": f"Bearer {token}", "Accept-Language": "en"}

    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            zones.import_demo_zones(session)
            inspector = accounts.create_user(
                session,
                settings,
                username="bench-inspector",
                password=uuid.uuid4().hex,
                roles=[Role.inspector],
            )
            people = list(session.scalars(select(Resident).order_by(Resident.created_at)))
            password_hash = hash_password(uuid.uuid4().hex)  # one hash for all: none signs in
            users = [
                User(
                    username=f"bench-resident-{i}", password_hash=password_hash, roles=["resident"]
                )
                for i in range(len(people))
            ]
            session.add_all(users)
            session.flush()
            for person, user in zip(people, users, strict=True):
                person.user_id = user.id
            keyring = Keyring(settings)
            passes, plates = [], []
            households = {person.household_id: person for person in reversed(people)}
            for i, person in enumerate(households.values()):
                plate = f"{7_000_000 + i:07d}"
                vehicles.register_vehicle(
                    session, settings, person, plate=plate, relation=VehicleRelation.owner, now=now
                )
                view = apply_for_permit(session, settings, keyring, person, plate=plate, now=now)
                if view.parking_pass is None or view.zone is None:
                    raise SystemExit(f"setup: no permit for resident {i}: {view.permit.status}")
                passes.append((view.parking_pass.token, view.zone.code))
                plates.append((plate, view.zone.code))
            session.commit()
            return World(
                residents=[bearer(user.id) for user in users],
                inspector=bearer(inspector.id),
                till=bearer(seeded.staff_id),
                passes=passes,
                plates=plates,
                spare_tokens=seeded.tokens,
            )
    finally:
        engine.dispose()


# --- the servers ---------------------------------------------------------------------------------


def start_servers(env: dict[str, str], port: int, processes: int) -> subprocess.Popen[bytes]:
    """``toshav serve --workers N`` on loopback, once it answers ready."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "toshav",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(processes),
        ],
        cwd=ROOT,
        env={**os.environ, **env, "TOSHAV_LOG_LEVEL": "warning"},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"toshav serve stopped (exit code {server.returncode})")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    server.terminate()
    raise SystemExit("toshav serve did not become ready")


def serving_processes(pid: int) -> int:
    """How many processes answer: uvicorn's workers (started by multiprocessing's spawn), or the
    server itself when it has none."""
    workers = 0
    for child in inspections_bench.children(pid):
        try:
            workers += b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
    return workers or 1


# --- the clients ---------------------------------------------------------------------------------


@dataclass
class Round:
    seconds: float = 0.0
    latencies: collections.defaultdict[str, list[float]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    serving: int = 0  # server processes found answering at the round's end

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000 if ordered else 0.0


# (kind, method, path, JSON body, headers)
Request = tuple[str, str, str, dict[str, Any] | None, dict[str, str]]


class Mix:
    """Draws the next request of the mix, and keeps the card tokens wallets fetched for the tills."""

    def __init__(self, world: World, seed: int) -> None:
        self.world = world
        self.random = random.Random(seed)
        self.kinds = [kind for kind, _ in MIX]
        self.weights = [weight for _, weight in MIX]
        self.fresh_tokens: collections.deque[str] = collections.deque(maxlen=5_000)
        self.spare = world.spare_tokens  # shared by every run: each token is shown once

    def next(self) -> Request:
        """(kind, method, path, body, headers)."""
        kind = self.random.choices(self.kinds, self.weights)[0]
        world, pick = self.world, self.random.choice
        body: dict[str, Any]
        if kind == "purchase" and not (self.fresh_tokens or self.spare):
            kind = "token"  # no card shown yet: the resident's wallet draws one first
        if kind == "token":
            return kind, "POST", "/api/v1/cards/me/token", None, pick(world.residents)
        if kind == "inspection":
            if self.random.random() < PLATE_SHARE:
                plate, zone = pick(world.plates)
                body = {"plate": plate, "zone": zone}
            else:
                token, zone = pick(world.passes)
                body = {"pass": token, "zone": zone}
            return kind, "POST", "/api/v1/parking/inspections", body, world.inspector
        if kind == "purchase":
            card = self.fresh_tokens.pop() if self.fresh_tokens else self.spare.pop()
            headers = {**world.till, "Idempotency-Key": f"load-{uuid.uuid4().hex}"}
            body = {"card_token": card, "amount_agorot": PURCHASE, "receipt": "load"}
            return kind, "POST", "/api/v1/cashback/purchases", body, headers
        return kind, "GET", "/api/v1/cashback/me/statement", None, pick(world.residents)

    def answered(self, kind: str, response: httpx.Response) -> str | None:
        """None when the answer is the one expected; else what it was."""
        expected = 201 if kind == "purchase" else 200
        if response.status_code != expected:
            return f"{kind}: {response.status_code} {response.text[:160]}"
        if kind == "token":
            self.fresh_tokens.append(response.json()["token"])
        elif kind == "inspection" and response.json().get("reason") != "valid_permit":
            return f"inspection: {response.text[:160]}"
        return None


async def run_round(
    base_url: str,
    mix: Mix | None,
    *,
    clients: int,
    warmup: float,
    seconds: float,
    server_pid: int,
) -> Round:
    """``clients`` tasks, each sending its next request as soon as its last is answered, for the
    warm-up and then the measured window; ``mix`` None: ``GET /healthz`` only. A request sent in
    the window is measured when its answer comes, so slow kinds are not left out at its end."""
    measured = Round()
    window = [0.0, 0.0]

    async def client(http: httpx.AsyncClient) -> None:
        while True:
            sent = time.perf_counter()
            if sent >= window[1]:
                return
            request: Request = (
                ("trivial", "GET", "/healthz", None, {}) if mix is None else mix.next()
            )
            kind, method, path, body, headers = request
            try:
                response = await http.request(method, path, json=body, headers=headers)
            except httpx.HTTPError as exc:
                measured.failures[f"{kind}: {exc.__class__.__name__}"] += 1
                continue
            done = time.perf_counter()
            problem = (
                (None if response.status_code == 200 else f"trivial: {response.status_code}")
                if mix is None
                else mix.answered(kind, response)
            )
            if problem is not None:
                measured.failures[problem] += 1
            elif window[0] <= sent:  # sent inside the window: measured, however long it took
                measured.latencies[kind].append(done - sent)

    # A connection of its own for each client, as each phone and till has: one pool shared by
    # every client costs this process more CPU per request than the servers spend on a trivial one.
    async with contextlib.AsyncExitStack() as stack:
        https = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=60))
            for _ in range(clients)
        ]
        began = time.perf_counter()
        window[:] = [began + warmup, began + warmup + seconds]
        tasks = [asyncio.create_task(client(http)) for http in https]
        await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
        cpu_server, cpu_client = inspections_bench.server_cpu(server_pid), time.process_time()
        await asyncio.sleep(max(0.0, window[1] - time.perf_counter()))
        measured.server_cpu_s = inspections_bench.server_cpu(server_pid) - cpu_server
        measured.client_cpu_s = time.process_time() - cpu_client
        await asyncio.gather(*tasks)
    measured.seconds = seconds
    return measured


def measure(
    env: dict[str, str],
    world: World,
    processes: int,
    options: argparse.Namespace,
    failures: collections.Counter[str],
) -> dict[str, Round]:
    """The best round of each case, with ``processes`` server processes; every unexpected answer
    of every round is added to ``failures``."""
    port = cashback_bench.free_port()
    server = start_servers(env, port, processes)
    base_url = f"http://127.0.0.1:{port}"
    best: dict[str, Round] = {}
    try:
        mix = Mix(world, seed=processes)
        for _ in range(max(1, options.rounds)):
            for case, chosen in (("trivial", None), ("mix", mix)):
                measured = uvloop.run(
                    run_round(
                        base_url,
                        chosen,
                        clients=options.clients,
                        warmup=options.warmup,
                        seconds=options.seconds / max(1, options.rounds),
                        server_pid=server.pid,
                    )
                )
                measured.serving = serving_processes(server.pid)
                failures.update(measured.failures)
                kept = best.get(case)
                if kept is None or measured.rate > kept.rate:
                    best[case] = measured
    finally:
        server.terminate()
        server.wait(timeout=60)
    return best


# --- the report ----------------------------------------------------------------------------------


def rows(processes: int, results: dict[str, Round]) -> Iterator[str]:
    trivial, mix = results["trivial"], results["mix"]
    for name, measured, values in (
        ("trivial", trivial, trivial.latencies["trivial"]),
        ("mix", mix, [v for kind in mix.latencies.values() for v in kind]),
    ):
        per_request = 1e6 / max(1, measured.requests)
        yield (
            f"{processes:>9}  {name:<13} {measured.rate:>7.0f} {percentile(values, 0.5):>7.1f} "
            f"{percentile(values, 0.95):>7.1f} {percentile(values, 0.99):>7.1f} "
            f"{measured.server_cpu_s * per_request:>10.0f} {measured.client_cpu_s * per_request:>10.0f}"
        )
    for kind, share in MIX:
        values = mix.latencies[kind]
        yield (
            f"{'':>9}    {kind:<11} {len(values) / mix.seconds:>7.1f} "
            f"{percentile(values, 0.5):>7.1f} {percentile(values, 0.95):>7.1f} "
            f"{percentile(values, 0.99):>7.1f}   ({len(values) / max(1, mix.requests):.0%} of the mix, "
            f"aimed {share}%)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per case")
    parser.add_argument("--rounds", type=int, default=2, help="turns each case takes")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds a round")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--residents", type=int, default=300)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    options = parser.parse_args()

    from resident_card.accounts.tokens import generate_private_pem
    from toshav.schema import upgrade

    server_url = os.environ.get("TOSHAV_BENCH_POSTGRES_URL", cashback_bench.DEFAULT_URL)
    name = f"toshav_bench_load_{uuid.uuid4().hex[:8]}"
    admin = ledger_bench.admin_engine(server_url)
    results: dict[int, dict[str, Round]] = {}
    failures: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="toshav-bench-") as var_dir:
        url = ledger_bench.database_url(server_url, name)
        env = {
            "TOSHAV_DATABASE_URL": url,
            "TOSHAV_VAR_DIR": var_dir,
            "TOSHAV_ACCESS_TOKEN_KEY": generate_private_pem(),
            "TOSHAV_ENV": "development",
            **LIMITS_OFF,
        }
        try:
            ledger_bench.create_database(admin, name)
            upgrade(url)
            started = time.perf_counter()
            world = seed(url, env, options.residents)
            print(
                f"setup: {len(world.residents)} residents signed in with cards, "
                f"{len(world.passes)} permits with passes, in {time.perf_counter() - started:.1f} s"
            )
            for processes in options.processes:
                results[processes] = measure(env, world, processes, options, failures)
            check = ledger_bench.check(url)
        finally:
            ledger_bench.drop_database(admin, name)
            admin.dispose()

    print(
        f"\nLoad over HTTP — PostgreSQL, {options.clients} clients (httpx async, one process), "
        f"{options.seconds:g} s a case in {options.rounds} rounds (best kept), "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'processes':>9}  {'case':<13} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'server µs':>10} {'client µs':>10}   (CPU per request)"
    )
    for processes, measured in results.items():
        for line in rows(processes, measured):
            print(line)
    for processes, measured in results.items():
        trivial, mix = measured["trivial"], measured["mix"]
        mix_p50 = percentile([v for values in mix.latencies.values() for v in values], 0.5)
        trivial_p50 = percentile(trivial.latencies["trivial"], 0.5)
        print(
            f"{processes} process(es): mix / trivial = {mix.rate / max(trivial.rate, 1e-9):.2f} "
            f"by throughput; mix p50 = {mix_p50 / max(trivial_p50, 1e-9):.1f} × trivial p50 "
            f"({min(trivial.serving, mix.serving)} serving at the end of the kept rounds)"
        )
    if len(results) > 1:
        first, *_, last = results
        print(
            f"{last} processes / {first}: trivial × "
            f"{results[last]['trivial'].rate / max(results[first]['trivial'].rate, 1e-9):.2f}, "
            f"mix × {results[last]['mix'].rate / max(results[first]['mix'].rate, 1e-9):.2f}"
        )
    print(f"ledger: {check}")
    if failures:
        print(f"UNEXPECTED ANSWERS: {sum(failures.values())}")
        for problem, count in failures.most_common(8):
            print(f"  {count:>6} × {problem}")
        raise SystemExit(1)
    print("every answer was the one expected")


if __name__ == "__main__":
    main()
