"""Test fixtures: every test runs on the migrated schema, on SQLite and on PostgreSQL.

Each test runs inside a transaction that is rolled back at its end. Tests that need real commits
and concurrent connections (``fresh_database``, ``live_server``) get a database of their own, copied
from the migrated template.

PostgreSQL: ``TOSHAV_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``)
names a server where the suite may create databases. With ``TOSHAV_REQUIRE_POSTGRES=1`` (CI) an
unreachable server fails the run; without it, the PostgreSQL half of the suite is skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from kernel import notices
from kernel.clock import Clock, SetClock
from kernel.database import make_engine, make_sessionmaker
from kernel.notices import Notice, NoticeBox
from kernel.runtime import Database
from kernel.settings import Settings
from resident_card.accounts.tokens import generate_private_pem
from toshav import plug_ins
from toshav.app import configure, create_app
from toshav.domains import EVERY
from toshav.schema import upgrade
from toshav.settings import ServiceSettings

POSTGRES_URL = os.environ.get(
    "TOSHAV_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("TOSHAV_REQUIRE_POSTGRES") == "1"
ACCESS_KEY = generate_private_pem()


@dataclass
class Backend:
    """A migrated database for one backend, and how to copy it."""

    name: str
    url: str
    engine: Engine
    copy: Callable[[], str]
    drop: Callable[[str], None]


def _pg_admin() -> Engine:
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_url(name: str) -> str:
    return (
        make_url(POSTGRES_URL)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


def _postgres_backend() -> Iterator[Backend]:
    admin = _pg_admin()
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.__class__.__name__}"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " (TOSHAV_REQUIRE_POSTGRES=1 makes this a failure)")
        pytest.skip(message + " (set TOSHAV_REQUIRE_POSTGRES=1 to make this a failure)")
    tag = uuid.uuid4().hex[:10]
    template = f"toshav_tpl_{tag}"
    created: list[str] = []

    def create(name: str, from_template: str | None) -> str:
        with admin.connect() as connection:
            suffix = f" TEMPLATE {from_template}" if from_template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
        created.append(name)
        return _pg_url(name)

    def drop(url: str) -> None:
        name = make_url(url).database
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    upgrade(create(template, None))
    counter = iter(range(1_000_000))

    def copy() -> str:
        return create(f"toshav_test_{tag}_{next(counter)}", template)

    url = copy()
    engine = make_engine(url)
    try:
        yield Backend("postgresql", url, engine, copy, drop)
    finally:
        engine.dispose()
        for name in reversed(created):
            drop(_pg_url(name))
        admin.dispose()


def _sqlite_backend(folder: Path) -> Iterator[Backend]:
    template = folder / "template.db"
    upgrade(f"sqlite:///{template}")
    counter = iter(range(1_000_000))

    def copy() -> str:
        target = folder / f"copy-{next(counter)}.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"

    def drop(url: str) -> None:
        path = Path(make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    url = copy()
    engine = make_engine(url)
    try:
        yield Backend("sqlite", url, engine, copy, drop)
    finally:
        engine.dispose()


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that make a database of their own (races, a live server, browsers).

    ``make test`` runs those that are not browser tests one at a time: each may hold up to 80
    PostgreSQL connections and they time real concurrency, which a second test process would
    disturb. The rest, each inside a rolled-back transaction, and the browser tests, each with a
    SQLite database, a server and a Chromium context of its own, run on both CPUs, with the tests
    marked ``beside_others``: a database of their own, but no race, no bound in time and few
    connections (commands, migrations, sign-ins), so another process cannot change what they see.
    """
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "fresh_database" in fixtures and item.get_closest_marker("beside_others") is None:
            item.add_marker(pytest.mark.own_database)
        # A real Chromium against a served app on a shared, busy machine: a browser test that fails
        # gets one more try, and only a second failure fails the run. Two of them (the offline
        # bundle's refresh with a fake phone clock, and the refresh of a run-out access token)
        # have failed about one full run in three on a slow day and never when run alone.
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.flaky(reruns=1))
        if {"browser", "demo_browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield from _sqlite_backend(tmp_path_factory.mktemp("sqlite"))
    else:
        yield from _postgres_backend()


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("postgres_only") is None:
        return
    if (
        "backend" in request.fixturenames
        and request.getfixturevalue("backend").name != "postgresql"
    ):
        pytest.skip("PostgreSQL only: SQLite has one writer, so it cannot show this race")


@pytest.fixture(autouse=True)
def _every_plug_in() -> None:
    """Every domain's plug-ins, as a deployment with every domain on has them (the root installs
    them when it makes an app or runs a command): programme files are checked against every fact
    even where a test makes no app, and no test sees what an earlier one installed."""
    plug_ins.install(EVERY)


def make_settings(database_url: str, var_dir: Path, **overrides: object) -> ServiceSettings:
    values: dict[str, object] = {
        "database_url": database_url,
        "var_dir": var_dir,
        "access_token_key": SecretStr(ACCESS_KEY),
        "id_hash_key": SecretStr("test-id-hash-key-" + "x" * 32),
        "env": "development",
        # The suite signs in and verifies many times from one address: limits on volume are off
        # unless a test turns them on (tests/kernel/test_limits.py).
        "limits_enabled": False,
    }
    values.update(overrides)
    return ServiceSettings.model_validate(values)


# Inside one rolled-back transaction nothing is ever committed: inspections are written in the
# request's own session (no writer thread may share the test's connection), and the inspection
# cache reads the change counters on every scan (a trigger's count is seen inside the transaction;
# nothing is told on PostgreSQL's channel before a commit). The open data is made afresh for each
# request: one database's tests each have data of their own, rolled back.
IN_TRANSACTION = {
    "parking_inspection_write_seconds": 0,
    "parking_freshness_seconds": 0,
    "open_data_cache_seconds": 0,
}


@pytest.fixture
def settings(backend: Backend, tmp_path: Path) -> ServiceSettings:
    return make_settings(backend.url, tmp_path, **IN_TRANSACTION)


@pytest.fixture
def connection(backend: Backend) -> Iterator[Connection]:
    with backend.engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


def _bound_sessionmaker(connection: Connection) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with _bound_sessionmaker(connection)() as session:
        yield session


@pytest.fixture
def clock() -> SetClock:
    return SetClock(datetime.now(UTC).replace(microsecond=0))


# One built app per set of domains, for every test: making an app's routes ready to serve costs a
# few tenths of a second (FastAPI prepares each route of each router on the first request), more
# than most tests take. Each test gives it a fresh state: its own settings, clock and database,
# and none of the caches an earlier test filled.
_BUILT_APPS: dict[tuple[str, ...], FastAPI] = {}


def built_app(
    settings: Settings, *, clock: Clock | None = None, connection: Connection | None = None
) -> FastAPI:
    """The built app for these settings' domains, to run with these settings and clock, and with
    sessions inside the test's ``connection`` (its transaction rolled back at the test's end)."""
    modules = tuple(settings.modules)
    app = _BUILT_APPS.get(modules)
    if app is None:
        app = _BUILT_APPS[modules] = create_app(settings)
    if connection is None:
        configure(app, settings, clock=clock)
    else:
        bound = _bound_sessionmaker(connection)
        configure(app, settings, clock=clock, database=lambda _settings: Database(bound))
    return app


@pytest.fixture
def app(settings: Settings, connection: Connection, clock: SetClock) -> FastAPI:
    return built_app(settings, clock=clock, connection=connection)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        yield client


@dataclass
class FreshDatabase:
    """A database of the test's own, with real commits: for races, retries and CLI commands."""

    url: str
    engine: Engine
    settings: ServiceSettings

    def session(self) -> Session:
        return make_sessionmaker(self.engine)()


@pytest.fixture
def fresh_database(backend: Backend, tmp_path: Path) -> Iterator[FreshDatabase]:
    url = backend.copy()
    engine = (
        make_engine(url, pool_size=40, max_overflow=40)
        if backend.name == "postgresql"
        else make_engine(url)
    )
    try:
        yield FreshDatabase(url, engine, make_settings(url, tmp_path))
    finally:
        engine.dispose()
        backend.drop(url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """The real app served by uvicorn on a loopback port, over a fresh database."""

    base_url: str
    app: FastAPI
    database: FreshDatabase


@pytest.fixture
def live_server(fresh_database: FreshDatabase) -> Iterator[LiveServer]:
    # An app of its own: a served app runs threads (its inspection writer) and a lifespan of its own.
    app = create_app(fresh_database.settings)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app, fresh_database)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def notices_posted() -> Iterator[list[Notice]]:
    """Every notice posted from here on, in order, still handed on to the installed box (the
    messages domain's outbox), so what a test reads here is also what the outbox received."""
    posted: list[Notice] = []
    outbox = notices.installed()

    def record(session: Session, notice: Notice) -> None:
        posted.append(notice)
        if outbox is not None:
            outbox.post(session, notice)

    notices.install(NoticeBox(post=record))
    try:
        yield posted
    finally:
        notices.install(outbox)
