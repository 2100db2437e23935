"""The uptake rollup moved by a worker while residents park (``figures.rollups``): writers whose
transactions commit out of the order of their postings' numbers (one holds its transaction open
while later ones commit) and a rollup run again and again beside them. Every use is summed once:
none skipped by a mark that passed a posting still being written, none twice."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from benefits.eligibility.service.programme_files import load_programmes
from benefits.ledger.models import Posting
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from benefits.uptake import service as uptake
from benefits.uptake.models import UptakeUsedDay
from figures.rollups import service as rollups
from tests.benefits.conftest import city_account, fund, resident_account
from tests.conftest import FreshDatabase

pytestmark = pytest.mark.postgres_only

ZONE = ZoneInfo("Asia/Jerusalem")
PROGRAMME = "parking_free_minutes"
WRITERS, USES = 8, 20


def test_every_use_is_summed_once_while_the_rollup_runs_beside_the_writers(
    fresh_database: FreshDatabase,
) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        load_programmes(session, now=now, zone=ZONE)
        accounts = [resident_account(session, purpose=PROGRAMME) for _ in range(WRITERS)]
        for account in accounts:
            fund(session, account, 10_000, now=now)
        # Each writer its own counter account, so no row lock orders their commits.
        counters = [city_account(session, purpose=f"used_{n}") for n in range(WRITERS)]
        session.commit()
        ids = [account.id for account in accounts]
        counter_ids = [account.id for account in counters]

    def park(writer: int) -> None:
        for use in range(USES):
            with fresh_database.session() as session:
                post_transaction(
                    session,
                    idempotency_key=f"use-{writer}-{use}",
                    kind="parking",
                    postings=[PostingInput(ids[writer], -1), PostingInput(counter_ids[writer], 1)],
                    now=datetime.now(UTC),
                )
                if use % 4 == writer % 4:
                    # Numbered now, committed later: others' later numbers commit first.
                    time.sleep(0.15)
                session.commit()

    parking = threading.Event()
    rolled: list[int] = []

    def roll() -> None:
        while parking.is_set():
            try:
                with fresh_database.session() as session:
                    high = rollups.safe_high(session, Posting.id)
                    session.commit()
                with fresh_database.session() as session:
                    rolled.append(uptake.roll_up(session, through=high, zone=str(ZONE), now=now))
                    session.commit()
            except OperationalError:  # the writers held the lock past its wait: next time
                pass

    parking.set()
    roller = threading.Thread(target=roll)
    roller.start()
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(park, range(WRITERS)))
    parking.clear()
    roller.join()
    with fresh_database.session() as session:
        high = rollups.safe_high(session, Posting.id)
        session.commit()
    with fresh_database.session() as session:
        uptake.roll_up(session, through=high, zone=str(ZONE), now=now)
        session.commit()

    assert len([count for count in rolled if count]) >= 3  # it ran while they parked
    with fresh_database.session() as session:
        summed = session.scalar(
            select(func.sum(UptakeUsedDay.used)).where(UptakeUsedDay.purpose == PROGRAMME)
        )
        days = set(session.scalars(select(UptakeUsedDay.day)))
    assert summed == WRITERS * USES
    today = now.astimezone(ZONE).date()
    assert days <= {today, date.fromordinal(today.toordinal() + 1)}  # the city's day
