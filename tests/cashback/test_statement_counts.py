"""Lists are built in a bounded number of queries: the SQL statements a list's GET sends do not grow
with its rows (1, 10 and 100), for the clerk's businesses and campaigns, a business's purchases and
a resident's cashback."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from benefits.ledger.models import OwnerType, Unit
from benefits.ledger.service.accounts import get_or_create_account
from benefits.ledger.service.holds import create_hold
from benefits.ledger.service.posting import PostingInput
from benefits.ledger.service.transactions import post_transaction
from cashback.models import BusinessCategory, Campaign, Purchase, Refund
from cashback.service import accounts, merchants, purchases
from kernel.clock import SetClock
from resident_card.accounts.models import Role
from tests.cashback.conftest import Shop, make_campaign, registry_number
from tests.factories import auth_headers, create_user
from toshav.settings import ServiceSettings

SIZES = (1, 10, 100)


@contextmanager
def statements_on(connection: Connection) -> Iterator[list[str]]:
    """The SQL statements sent on the connection meanwhile."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", record)


def counts_at_sizes(
    connection: Connection,
    grow_to: Callable[[int], None],
    read: Callable[[], list[Any]],
    *,
    shown: int = 200,
) -> dict[int, int]:
    """For each size: grow the list to it, read it (checking it shows that many rows, up to
    ``shown``), and count the statements the read sent."""
    grow_to(SIZES[0])
    read()  # once first, so that what the app keeps across requests (who the caller is) is warm
    counts: dict[int, int] = {}
    for size in SIZES:
        grow_to(size)
        with statements_on(connection) as sent:
            rows = read()
        assert len(rows) == min(size, shown)
        counts[size] = len(sent)
    return counts


def listing(
    client: TestClient, path: str, headers: dict[str, str], *, field: str | None = None
) -> Callable[[], list[Any]]:
    """A GET of a list (or of the list under ``field`` of the answer) that must answer 200."""

    def read() -> list[Any]:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        rows: list[Any] = body[field] if field else body
        return rows

    return read


def post_to(session: Session, account_id: uuid.UUID, amount: int, *, now: Any) -> None:
    """Money from the city into an account (what a redemption does to a business's)."""
    city = get_or_create_account(
        session,
        owner_type=OwnerType.city,
        owner_id=None,
        purpose="statement_count_test",
        unit=Unit.ILS,
        allow_negative=True,
    )
    post_transaction(
        session,
        idempotency_key=f"test:{uuid.uuid4()}",
        kind="test",
        postings=[PostingInput(city.id, -amount), PostingInput(account_id, amount)],
        now=now,
    )


def test_the_clerks_list_of_businesses(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    connection: Connection,
    clock: SetClock,
) -> None:
    """Each business with its address, staff and what the city owes it (some owe, some do not,
    some have no account in the ledger yet)."""
    now = clock.now()
    clerk = create_user(session, settings, role=Role.admin)
    auditor = auth_headers(app, create_user(session, settings, role=Role.auditor))
    made = [shop.merchant]
    owed = accounts.owed_account(session, shop.merchant.id)
    post_to(session, owed.id, 500, now=now)

    def grow_to(size: int) -> None:
        while len(made) < size:
            index = len(made)
            merchant = merchants.apply(
                session,
                merchants.Application(
                    registry_number(),
                    f"Shop {index}",
                    BusinessCategory(shop.merchant.category),
                    "herzl",
                    20 + index % 5,
                ),
                actor_id=clerk.id,
                as_staff=False,
                now=now,
            )
            if index % 3 == 0:
                staff = create_user(session, settings, role=Role.merchant)
                merchants.add_staff(session, merchant.id, staff.id, actor_id=clerk.id)
            if index % 2 == 0:
                post_to(session, accounts.owed_account(session, merchant.id).id, index, now=now)
            made.append(merchant)
        session.flush()

    read = listing(client, "/api/v1/admin/cashback/merchants?limit=200", auditor)

    counts = counts_at_sizes(connection, grow_to, read)

    assert counts[1] == counts[10] == counts[100], counts


def test_the_clerks_list_of_campaigns(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    connection: Connection,
    clock: SetClock,
) -> None:
    """Each campaign with its budget: funded or not, with cashback held from it or not."""
    now = clock.now()
    auditor = auth_headers(app, create_user(session, settings, role=Role.auditor))
    payee = get_or_create_account(
        session, owner_type=OwnerType.city, owner_id=None, purpose="held_to", unit=Unit.ILS
    )

    def hold_from(campaign: Campaign) -> None:
        create_hold(
            session,
            idempotency_key=f"test:{uuid.uuid4()}",
            kind="test",
            postings=[PostingInput(campaign.budget_account_id, -100), PostingInput(payee.id, 100)],
            expires_at=now + timedelta(days=1),
            now=now,
        )

    hold_from(shop.campaign)
    made = [shop.campaign]

    def grow_to(size: int) -> None:
        while len(made) < size:
            index = len(made)
            campaign = make_campaign(session, now=now, budget=1_000 * (index % 2))
            if index % 4 == 1:
                hold_from(campaign)
            made.append(campaign)
        session.flush()

    read = listing(client, "/api/v1/admin/cashback/campaigns?limit=200", auditor)

    counts = counts_at_sizes(connection, grow_to, read)

    assert counts[1] == counts[10] == counts[100], counts


def copy_purchase(session: Session, original: Purchase, index: int, campaign_id: uuid.UUID) -> None:
    """Another purchase like the first one (under another campaign), with a refund of part of it."""
    purchase = Purchase(
        **{
            column: getattr(original, column)
            for column in Purchase.__table__.columns.keys()  # noqa: SIM118 - a ColumnCollection
        }
    )
    purchase.id = uuid.uuid4()
    purchase.idempotency_key = f"copy-{index}"
    purchase.receipt = f"R-{index}"
    purchase.campaign_id = campaign_id
    purchase.created_at = original.created_at - timedelta(seconds=index)
    purchase.hold_id = None
    purchase.refunded_agorot = 1_000
    purchase.cashback_returned_agorot = 100
    session.add(purchase)
    session.flush()
    session.add(
        Refund(
            id=uuid.uuid4(),
            created_at=purchase.created_at,
            purchase_id=purchase.id,
            merchant_id=purchase.merchant_id,
            staff_user_id=purchase.staff_user_id,
            amount_agorot=1_000,
            receipt=None,
            cashback_taken_back_agorot=100,
            from_hold_agorot=0,
            from_balance_agorot=100,
            shortfall_agorot=0,
        )
    )


@pytest.fixture
def bought(shop: Shop, session: Session, clock: SetClock) -> Callable[[int], None]:
    """Grows the purchases of the shop's resident at the shop to a size, the first one bought at
    the till and the rest copies of it under a few campaigns."""
    now = clock.now()
    first = purchases.record_purchase(
        session,
        shop.settings,
        staff_user_id=shop.staff.id,
        idempotency_key="first",
        card_token=shop.token(now),
        amount_agorot=12_000,
        receipt="R-0",
        now=now,
    ).purchase
    others = [shop.campaign.id, *(make_campaign(session, now=now).id for _ in range(3))]
    made = [first]

    def grow_to(size: int) -> None:
        while len(made) < size:
            index = len(made)
            copy_purchase(session, first, index, others[index % len(others)])
            made.append(first)
        session.flush()

    return grow_to


def test_a_business_list_of_its_purchases(
    shop: Shop,
    bought: Callable[[int], None],
    client: TestClient,
    app: FastAPI,
    connection: Connection,
) -> None:
    """Each purchase with its campaign as bought, its state and its refunds."""
    till = auth_headers(app, shop.staff)

    read = listing(client, "/api/v1/cashback/merchants/me/purchases?limit=200", till)

    counts = counts_at_sizes(connection, bought, read)

    assert counts[1] == counts[10] == counts[100], counts


def test_a_residents_cashback_and_purchases(
    shop: Shop,
    bought: Callable[[int], None],
    client: TestClient,
    app: FastAPI,
    session: Session,
    settings: ServiceSettings,
    connection: Connection,
) -> None:
    """The resident's balances and their latest purchases (up to 20) with each business's name."""
    user = create_user(session, settings, role=Role.resident)
    shop.resident.user_id = user.id
    session.flush()
    resident = auth_headers(app, user)

    read = listing(client, "/api/v1/cashback/me", resident, field="purchases")

    counts = counts_at_sizes(connection, bought, read, shown=20)

    assert counts[1] == counts[10] == counts[100], counts
