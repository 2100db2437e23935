"""The demo (an approved café staffed by ``merchant``, a funded 10% campaign ``resident`` is
eligible for, the same on every run), and migration 0007 against the models on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from benefits.ledger.service.check import check_ledger
from cashback.models import Purchase
from cashback.service.purchases import record_purchase
from cashback.service.releases import release_due_holds
from kernel.clock import SetClock
from kernel.database import Base
from kernel.settings import Settings
from resident_card.accounts.repository import UserRepository
from resident_card.credentials.service import Keyring
from resident_card.residents.service import records as residents
from tests.cashback.conftest import (
    Shop,
    card_holder,
    card_token,
    make_business,
    make_campaign,
    prepare_city,
)
from tests.cashback.test_purchases import buy
from tests.conftest import FreshDatabase
from tests.factories import auth_headers
from toshav.app import create_app
from toshav.cli import main
from toshav.demo import load_everything
from toshav.schema import alembic_config, load_all_models
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

TABLES = {
    "cashback_merchants",
    "cashback_merchant_staff",
    "cashback_campaigns",
    "cashback_wallets",
    "cashback_purchases",
    "cashback_refunds",
    "cashback_redemptions",
    "cashback_card_token_uses",
    "cashback_flags",
    "cashback_settlements",
}


def test_the_demo_makes_a_cafe_and_a_campaign_the_resident_can_use(
    fresh_database: FreshDatabase,
) -> None:
    settings: Settings = fresh_database.settings
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        first = load_everything(session, settings, now)
        session.commit()
    with fresh_database.session() as session:
        second = load_everything(session, settings, now)
        session.commit()

    assert "cashback: Café Hadar (Herzl 20, Hadar), approved, staff: merchant" in first
    assert "cashback: campaign Haifa Cash Back, 10%, budget ₪10,000" in first
    assert "cashback: the demo business is already there" in second
    assert "cashback: the demo campaign is already there" in second
    app = create_app(settings)
    with fresh_database.session() as session:
        users = UserRepository(session)
        merchant, resident_user = users.by_username("merchant"), users.by_username("resident")
        assert merchant is not None
        assert resident_user is not None
        dana = residents.resident_for_user(session, resident_user.id)
        assert dana is not None
        token = card_token(session, settings, Keyring(settings), dana, now)
        session.commit()
    with TestClient(app, headers={"Accept-Language": "en"}) as client:
        bought = client.post(
            "/api/v1/cashback/purchases",
            json={"card_token": token, "amount_agorot": 8_000, "receipt": "demo-1"},
            headers={**auth_headers(app, merchant), "Idempotency-Key": "demo-1"},
        )
    assert bought.status_code == 201, bought.text
    assert bought.json()["cashback_agorot"] == 800
    assert bought.json()["campaign"]["names"]["en"] == "Haifa Cash Back"
    with fresh_database.session() as session:
        assert check_ledger(session).ok


def test_the_demo_logins_name_the_till(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["demo", "logins"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "staff of Café Hadar: the till is at /till" in result.output


def _table_of(diff: Any) -> str | None:
    if isinstance(diff, list):
        return _table_of(diff[0])
    for item in diff[1:]:
        table = getattr(item, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        name = getattr(item, "name", None)
        if isinstance(item, str) and item in TABLES:
            return item
        if name in TABLES:
            return str(name)
    return None


def test_the_cashback_tables_match_the_models(fresh_database: FreshDatabase) -> None:
    load_all_models()
    with fresh_database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in TABLES]

    assert diffs == []


def test_0007_downgrades_and_upgrades_again(fresh_database: FreshDatabase) -> None:
    config = alembic_config(fresh_database.url)

    command.downgrade(config, "0006")
    fresh_database.engine.dispose()
    without = set(inspect(fresh_database.engine).get_table_names())
    command.upgrade(config, "heads")
    fresh_database.engine.dispose()
    again = set(inspect(fresh_database.engine).get_table_names())

    assert not TABLES & without
    assert "cards" in without
    assert again >= TABLES


@pytest.mark.parametrize("table", ["cashback_card_token_uses", "cashback_refunds"])
@pytest.mark.parametrize(
    "change", ["UPDATE {table} SET created_at = created_at", "DELETE FROM {table}"]
)
def test_what_happened_is_never_changed(
    shop: Shop,
    client: TestClient,
    app: FastAPI,
    session: Session,
    clock: SetClock,
    table: str,
    change: str,
) -> None:
    headers = auth_headers(app, shop.staff)
    bought = buy(client, headers, shop.token(clock.now())).json()
    client.post(
        f"/api/v1/cashback/purchases/{bought['purchase_id']}/refunds",
        json={"amount_agorot": 100},
        headers=headers,
    )

    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(change.format(table=table)))


def test_0025_keeps_what_each_release_moved(fresh_database: FreshDatabase) -> None:
    """A purchase released before the migration gets what its hold's capture moved; one still
    held gets nothing; and a release after it records the same by itself."""
    settings = fresh_database.settings
    config = alembic_config(fresh_database.url)
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        prepare_city(session, settings, now)
        _, staff = make_business(session, settings, now=now)
        make_campaign(session, now=now)
        resident = card_holder(session, settings)
        keyring = Keyring(settings)

        def purchase(amount: int, at: datetime) -> uuid.UUID:
            return record_purchase(
                session,
                settings,
                staff_user_id=staff.id,
                idempotency_key=uuid.uuid4().hex,
                card_token=card_token(session, settings, keyring, resident, at),
                amount_agorot=amount,
                receipt="R-1",
                now=at,
            ).purchase.id

        released, held = purchase(12_000, now), purchase(5_000, now + timedelta(days=20))
        release_due_holds(session, now=now + timedelta(days=16))
        session.commit()

    command.downgrade(config, "0024")
    command.upgrade(config, "heads")
    fresh_database.engine.dispose()

    def moved() -> dict[uuid.UUID, int | None]:
        with fresh_database.session() as session:
            return {
                row.id: row.released_agorot
                for row in session.scalars(
                    select(Purchase).where(Purchase.id.in_([released, held]))
                )
            }

    assert moved() == {released: 1_200, held: None}
    with fresh_database.session() as session:
        release_due_holds(session, now=now + timedelta(days=40))
        session.commit()
    assert moved() == {released: 1_200, held: 500}
