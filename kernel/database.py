"""The database: one declarative base, engines made in the app's lifespan, one session per request.

SQLite (embedded default): WAL, foreign keys on, and every transaction takes the write lock up front
(``BEGIN IMMEDIATE``), so two writers never race on a balance. PostgreSQL: psycopg 3, and services
lock the rows they change.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Annotated, Any, TypeVar

from anyio import CancelScope, to_thread
from fastapi import Depends, Request
from sqlalchemy import (
    DateTime,
    Dialect,
    Engine,
    MetaData,
    TypeDecorator,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from kernel.errors import ToshavError

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Every table of the service."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}  # noqa: RUF012


class RecordMixin:
    """A UUID key and the time the row was made."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator gave."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    # A failed statement's error names its statement, never its values (ID hashes, names, tokens).
    kwargs.setdefault("hide_parameters", True)
    url = normalise_url(url)
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
            **kwargs,
        )
        _sqlite_pragmas(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # The write lock up front: a balance read inside this transaction cannot be changed under
        # it (docs/decisions/0001-sqlite-begin-immediate.md).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=True)


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Sessions open at once, per event loop and kind, are capped so some of anyio's threads (40 by
# default) are always free: a request holding SQLite's write lock must find a thread to commit in.
# "request" is the request's own session; "own" the short sessions async code opens
# (``in_own_session``, ``in_own_transaction``), which may run while their request holds a
# "request" one, so they count
# apart and never wait on it.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)
SPARE_THREADS = 8
OWN_SESSIONS = 8


def _gate(kind: str) -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gates = _gates.get(loop)
    if gates is None:
        threads = int(to_thread.current_default_thread_limiter().total_tokens)
        gates = _gates[loop] = {
            "request": asyncio.Semaphore(max(1, threads - SPARE_THREADS - OWN_SESSIONS)),
            "own": asyncio.Semaphore(OWN_SESSIONS),
        }
    return gates[kind]


def _within(sessionmaker: Callable[[], Session], work: Callable[[Session], T]) -> T:
    with sessionmaker() as session:
        return work(session)


async def in_own_session(sessionmaker: Callable[[], Session], work: Callable[[Session], T]) -> T:
    """``work(session)`` in a session of its own, in a thread, for async code that needs one short
    read outside a request's session; the session is closed after, so nothing it wrote is kept
    (a write goes through ``in_own_transaction``)."""
    async with _gate("own"):
        return await to_thread.run_sync(partial(_within, sessionmaker, work))


def own_transaction(sessionmaker: Callable[[], Session], work: Callable[[Session], T]) -> T:
    """``work(session)`` as a unit of work of its own, beside any request's: committed when ``work``
    returns, rolled back when it raises, the session closed either way. ``work`` never commits.
    For writes no request waits on (a batch writer's thread)."""
    with sessionmaker() as session, session.begin():
        return work(session)


async def in_own_transaction(
    sessionmaker: Callable[[], Session], work: Callable[[Session], T]
) -> T:
    """``own_transaction`` from async code, in a thread, counted among the sessions of its own
    (``in_own_session``): for a write that must be kept whatever becomes of the request's session."""
    async with _gate("own"):
        return await to_thread.run_sync(partial(own_transaction, sessionmaker, work))


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: commit when the endpoint succeeded, roll back when it raised.

    Opened on the event loop (a session touches no connection until its first query); the commit
    or rollback, and the close, run in one thread. Fewer requests hold a session at once than
    there are threads (the "request" gate), so a request holding SQLite's write lock
    (``BEGIN IMMEDIATE``) always finds a thread to commit in: no thread may wait on a lock whose
    holder waits for a thread. See docs/decisions/0002-session-gates-per-event-loop.md.
    """
    async with _gate("request"):
        session: Session = request.app.state.runtime.database.sessionmaker()
        try:
            yield session
        except BaseException as exc:
            keep = isinstance(exc, ToshavError) and exc.keeps_work
            with CancelScope(shield=True):  # a cancelled request still gives back its connection
                await to_thread.run_sync(partial(_end, session, commit=keep))
            raise
        with CancelScope(shield=True):
            await to_thread.run_sync(partial(_end, session, commit=True))


# scope="function": the commit happens before the answer is sent, so a failed commit is never a 2xx.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
