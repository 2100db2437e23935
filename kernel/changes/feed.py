"""What this process knows of the changes every process committed, and since when it knows it.

A ``ChangeFeed`` holds one counter per topic (``change_counters``, raised by triggers in the
transaction that makes each change) and ``known_through``: a moment of this process's monotonic
clock such that every change committed before it is counted. A cache built from the database
under counters ``c`` answers for the database at moment ``t`` while ``known_through() >= t - bound``
and the counters are still ``c``; past that it must ``catch_up`` (and reload if they moved). So
whatever a cache keyed on the feed answers reflects every change committed ``bound`` seconds ago.

How ``known_through`` moves:
- ``catch_up`` reads the counters (one small query; one thread reads while the others wait for
  that read, unless waiting could deadlock), and its moment is the one taken *before* the read;
- on PostgreSQL a listener thread (``LISTEN``) takes each change's ``<topic>:<counter>`` as it
  commits, and sends itself a beat every ``beat_every`` seconds: notifications arrive in commit
  order, so once a beat sent at ``s`` comes back, every change committed before ``s`` has been
  counted. A listener that loses its connection stops moving the moment; ``catch_up`` takes over.
"""

from __future__ import annotations

import logging
import os
import secrets
import select
import threading
import time
from collections.abc import Callable, Mapping

from sqlalchemy import make_url
from sqlalchemy import select as select_rows
from sqlalchemy.orm import Session

from kernel.changes.models import CHANNEL, TOPICS, ChangeCounter

logger = logging.getLogger("toshav.changes")

Counters = tuple[int, int]  # committed changes read or heard of, changes made by this process


def read_counters(session: Session) -> dict[str, int]:
    """Every topic's counter as the database has it now."""
    rows = session.execute(select_rows(ChangeCounter.topic, ChangeCounter.changes)).all()
    return {topic: int(changes) for topic, changes in rows}


class ChangeFeed:
    """The changes committed by any process, as this process knows them (see the module)."""

    def __init__(
        self,
        *,
        listen_url: str | None = None,
        beat_every: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._listen_url = listen_url
        self._beat_every = beat_every
        self.clock = clock
        self._committed: dict[str, int] = dict.fromkeys(TOPICS, 0)
        self._here: dict[str, int] = dict.fromkeys(TOPICS, 0)
        self._through = -float("inf")
        self._reading = threading.Lock()
        self._counting = threading.Lock()
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._listener: threading.Thread | None = None
        self.reads = 0  # how many times the counters were read (for the operators' metrics)

    # --- what callers ask -------------------------------------------------------------------

    def counters(self, topic: str) -> Counters:
        return self._committed[topic], self._here[topic]

    def known_through(self) -> float:
        return self._through

    def catch_up(
        self, moment: float, read: Callable[[], Mapping[str, int]], *, wait: bool = True
    ) -> None:
        """Make sure every change committed before ``moment`` is counted, reading the counters
        with ``read`` unless that is known already. While another thread reads them, waits for
        that read (and uses it if it began at or after ``moment``); with ``wait`` false (the
        caller holds a database transaction, which on SQLite may be what that read waits for),
        reads them itself instead."""
        if self._through >= moment:
            return
        if not self._reading.acquire(blocking=wait):
            self._read_now(read)
            return
        try:
            if self._through < moment:
                self._read_now(read)
        finally:
            self._reading.release()

    def changed_here(self, topic: str) -> None:
        """This process made a change of ``topic``: caches keyed on it reload at once, without
        waiting to hear of it from the database."""
        with self._counting:
            self._here[topic] += 1

    # --- how it learns ------------------------------------------------------------------------

    def _read_now(self, read: Callable[[], Mapping[str, int]]) -> None:
        started = self.clock()
        values = read()
        self.reads += 1
        self._count(values, through=started)

    def _count(self, values: Mapping[str, int], *, through: float | None) -> None:
        with self._counting:
            for topic, value in values.items():
                if topic in self._committed and value > self._committed[topic]:
                    self._committed[topic] = value
            if through is not None and through > self._through:
                self._through = through

    def start(self) -> None:
        """Listen for changes where the database can tell of them (PostgreSQL)."""
        if self._listen_url is None or self._listener is not None:
            return
        self._listener = threading.Thread(target=self._listen, name="toshav-changes", daemon=True)
        self._listener.start()

    def stop(self) -> None:
        self._stopping.set()
        os.write(self._wake_w, b"x")
        if self._listener is not None:
            self._listener.join(timeout=5)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _listen(self) -> None:
        assert self._listen_url is not None
        while not self._stopping.is_set():
            try:
                self._listen_once(self._listen_url)
            except Exception:
                logger.warning("the change listener lost its connection; retrying", exc_info=True)
            self._stopping.wait(1.0)

    def _listen_once(self, url: str) -> None:
        import psycopg

        token = secrets.token_hex(8)
        sent: dict[int, float] = {}
        beat = 0
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            # Changes committed before LISTEN were not told: count them once, on this connection
            # (the app's sessions may be bound to something it must not share), then only listen.
            started = self.clock()
            rows = connection.execute("SELECT topic, changes FROM change_counters").fetchall()
            self._count({str(topic): int(changes) for topic, changes in rows}, through=started)
            next_beat = self.clock()
            while not self._stopping.is_set():
                moment = self.clock()
                if moment >= next_beat:
                    beat += 1
                    sent[beat] = moment
                    connection.execute(
                        "SELECT pg_notify(%s, %s)", (CHANNEL, f"beat:{token}:{beat}")
                    )
                    next_beat = moment + self._beat_every
                ready, _, _ = select.select(
                    [connection.fileno(), self._wake_r], [], [], max(0.0, next_beat - self.clock())
                )
                if self._wake_r in ready:
                    return
                for note in connection.notifies(timeout=0.0):
                    self._heard(note.payload, token, sent)

    def _heard(self, payload: str, token: str, sent: dict[int, float]) -> None:
        kind, _, rest = payload.partition(":")
        if kind == "beat":
            owner, _, number = rest.partition(":")
            if owner != token or not number.isdigit():
                return  # another process's beat
            moment = sent.get(int(number))
            for old in [n for n in sent if n <= int(number)]:
                del sent[old]
            if moment is not None:
                self._count({}, through=moment)
        elif rest.isdigit():
            self._count({kind: int(rest)}, through=None)


def listen_url(database_url: str) -> str | None:
    """The libpq address to LISTEN on, for a PostgreSQL database; None for one that cannot tell."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
