"""A campaign's budget drawn through its stripes: a process that dies holding chunks of it loses
none of it, and the last agorot are drawn exactly, never overdrawn."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from benefits.ledger.exceptions import InsufficientBalance
from benefits.ledger.service.check import check_ledger
from cashback.service import accounts, budgets, campaigns, purchases
from cashback.settings import CashbackSettings
from resident_card.credentials.service import Keyring
from tests.cashback.conftest import (
    card_holder,
    card_token,
    make_business,
    make_campaign,
    prepare_city,
)
from tests.conftest import FreshDatabase
from tests.factories import create_resident

pytestmark = pytest.mark.postgres_only

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 3_000

# A till's process: one purchase's draw committed (chunks moved to stripes, 1,000 of one held),
# then three more drawn in a transaction it never ends — and it is killed there, holding stripes.
TILL = """
import sys, time, uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from cashback.service import accounts, budgets, campaigns
from kernel.database import make_engine, make_sessionmaker

url, campaign_id, resident_id, chunk = sys.argv[1:5]
sessions = make_sessionmaker(make_engine(url))
settings = SimpleNamespace(cashback_budget_chunk_agorot=int(chunk))
now = datetime.now(UTC)

def draw(session, number):
    campaign = campaigns.get_campaign(session, uuid.UUID(campaign_id))
    wallet = accounts.lock_wallet(session, uuid.UUID(resident_id))
    budgets.hold_cashback(
        session, settings, campaign, to_account_id=wallet.cashback_account_id,
        amount_agorot=1_000, idempotency_key=f"till:{number}", expires_at=now + timedelta(days=30),
        reference=f"till:{number}", metadata={}, created_by=None, now=now,
    )

with sessions() as session:
    draw(session, 1)
    session.commit()
session = sessions()
for number in (2, 3, 4):
    draw(session, number)
print("holding", flush=True)
time.sleep(600)
"""


def draw(session: Session, settings: CashbackSettings, campaign_id: uuid.UUID, key: str) -> None:
    campaign = campaigns.get_campaign(session, campaign_id)
    resident = create_resident(session, settings)
    wallet = accounts.lock_wallet(session, resident.id)
    now = datetime.now(UTC)
    budgets.hold_cashback(
        session,
        settings,
        campaign,
        to_account_id=wallet.cashback_account_id,
        amount_agorot=1_000,
        idempotency_key=key,
        expires_at=now + timedelta(days=30),
        reference=key,
        metadata={},
        created_by=None,
        now=now,
    )
    session.commit()


def test_a_process_killed_holding_chunks_leaves_the_budget_whole(
    fresh_database: FreshDatabase,
) -> None:
    settings = fresh_database.settings.model_copy(update={"cashback_budget_chunk_agorot": CHUNK})
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        prepare_city(session, settings, now)
        campaign = make_campaign(session, now=now, budget=10_000)
        resident = create_resident(session, settings)
        session.commit()
        campaign_id = campaign.id

    till = subprocess.Popen(  # noqa: S603 - this interpreter, this test's own script
        [
            sys.executable,
            "-c",
            TILL,
            fresh_database.url,
            str(campaign_id),
            str(resident.id),
            str(CHUNK),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert till.stdout is not None
        assert till.stdout.readline().strip() == "holding"
        with fresh_database.session() as session:
            campaign = campaigns.get_campaign(session, campaign_id)
            budget = campaigns.budget_of(session, campaign, now=datetime.now(UTC))
            # What the till committed: a chunk in a stripe, 1,000 of it held; the rest is left.
            assert (budget.posted, budget.reserved, budget.available) == (10_000, 1_000, 9_000)
    finally:
        till.kill()
        till.wait(timeout=30)

    with fresh_database.session() as session:
        campaign = campaigns.get_campaign(session, campaign_id)
        budget = campaigns.budget_of(session, campaign, now=datetime.now(UTC))
        assert (budget.posted, budget.reserved, budget.available) == (10_000, 1_000, 9_000)
        assert check_ledger(session).violation is None
    # Every agora the till did not commit is drawn again, to the last, and not one more.
    for number in range(9):
        with fresh_database.session() as session:
            draw(session, settings, campaign_id, f"after:{number}")
    with fresh_database.session() as session, pytest.raises(InsufficientBalance):
        draw(session, settings, campaign_id, "one-too-many")
    with fresh_database.session() as session:
        campaign = campaigns.get_campaign(session, campaign_id)
        budget = campaigns.budget_of(session, campaign, now=datetime.now(UTC))
        assert (budget.posted, budget.reserved, budget.available) == (10_000, 10_000, 0)
        assert check_ledger(session).violation is None


def test_a_purchase_turning_from_a_spent_campaign_to_another_holds_nothing_of_the_first(
    fresh_database: FreshDatabase,
) -> None:
    """A purchase whose best campaign is spent turns to the next; meanwhile another purchase,
    holding a stripe of that next campaign, turns the other way, to the spent one. Neither waits
    on the other in a circle: the first let go of the spent campaign's budget as it turned, so the
    other takes its stripe at once, and the first is paid by the second campaign."""
    settings = fresh_database.settings
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        prepare_city(session, settings, now)
        _merchant, staff = make_business(session, settings, now=now)
        # For ₪80, the first pays ₪8 (10 %) and the second ₪4: the first is the better offer,
        # but it has ₪1 left. Both are below a chunk: every draw from them is exact.
        spent = make_campaign(session, now=now, budget=100)
        other = make_campaign(session, now=now, budget=10_000, rate_bp=500)
        resident = card_holder(session, settings, now=now - timedelta(days=1))
        token = card_token(session, settings, Keyring(settings), resident, now)
        session.commit()
        spent_stripe, other_stripe = (
            budgets.budget_accounts(session, [c])[c.id][1] for c in (spent, other)
        )
        staff_id, other_id = staff.id, other.id

    reverse = fresh_database.engine.connect()  # the other purchase, drawing from the second
    reverse.execute(text("SET lock_timeout = '5s'"))
    reverse.execute(LOCK_ACCOUNT, {"id": other_stripe})
    answers: list[object] = []

    def buy() -> None:
        with fresh_database.session() as session:
            try:
                answers.append(
                    purchases.record_purchase(
                        session,
                        settings,
                        staff_user_id=staff_id,
                        idempotency_key="turning",
                        card_token=token,
                        amount_agorot=8_000,
                        receipt="r",
                        now=now,
                    )
                )
                session.commit()
            except Exception as error:
                answers.append(error)

    till = threading.Thread(target=buy)
    till.start()
    try:
        waiting_for_the_second(fresh_database, other_stripe)
        started = time.monotonic()
        reverse.execute(LOCK_ACCOUNT, {"id": spent_stripe})  # turning to the spent one
        assert time.monotonic() - started < 0.5  # at once: the till holds nothing of it
    finally:
        reverse.rollback()
        reverse.close()
        till.join(timeout=30)
    [answer] = answers
    assert isinstance(answer, purchases.PurchaseAnswer), answer
    assert (answer.campaign.id, answer.purchase.cashback_agorot) == (other_id, 400)
    with fresh_database.session() as session:
        assert check_ledger(session).violation is None


LOCK_ACCOUNT = text("SELECT id FROM ledger_accounts WHERE id = :id FOR UPDATE")


def waiting_for_the_second(database: FreshDatabase, stripe: uuid.UUID) -> None:
    """Until the till's transaction waits for the row lock on the stripe."""
    deadline = time.monotonic() + 20
    with database.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE NOT l.granted AND a.datname = current_database() "
                    "AND a.wait_event_type = 'Lock'"
                )
            ).scalar_one()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the till never waited for the second campaign's stripe")
