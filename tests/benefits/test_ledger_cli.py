"""``toshav ledger check`` and ``toshav ledger expire-holds`` against a database of their own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from benefits.ledger.models import HoldStatus
from benefits.ledger.service.balances import get_balance
from benefits.ledger.service.holds import create_hold, get_hold
from benefits.ledger.service.posting import PostingInput
from tests.benefits.conftest import fund, new_key, resident_account
from tests.conftest import FreshDatabase
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others


@pytest.fixture
def toshav(
    fresh_database: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("TOSHAV_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_check_prints_what_it_counted_when_the_ledger_is_sound(
    toshav: CliRunner, fresh_database: FreshDatabase
) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 100, now=now)
        create_hold(
            session,
            idempotency_key=new_key(),
            kind="parking",
            postings=[PostingInput(payer.id, -10), PostingInput(payee.id, 10)],
            expires_at=now + timedelta(hours=1),
            now=now,
        )
        session.commit()
    result = toshav.invoke(main, ["ledger", "check", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "The ledger is sound: checked 3 accounts, 1 transactions, 2 postings and 1 holds."
    )
    hebrew = toshav.invoke(main, ["ledger", "check"])
    assert hebrew.exit_code == 0
    assert "הספר תקין" in hebrew.output


@pytest.mark.parametrize(
    ("tamper", "code_words"),
    [
        ("UPDATE ledger_accounts SET balance = balance + 1", "cached balance"),
        ("UPDATE ledger_accounts SET held_out = held_out + 1", "cached holds"),
    ],
)
def test_check_reports_the_first_violation_and_fails(
    toshav: CliRunner, fresh_database: FreshDatabase, tamper: str, code_words: str
) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        account = resident_account(session)
        fund(session, account, 100, now=now)
        session.execute(text(f"{tamper} WHERE purpose = 'parking_allowance'"))
        session.commit()
    result = toshav.invoke(main, ["ledger", "check", "--lang", "en"])
    assert result.exit_code == 1
    assert "The ledger is not sound" in result.output
    assert code_words in result.output
    assert str(account.id) in result.output


def test_check_finds_a_transaction_that_does_not_balance(
    toshav: CliRunner, fresh_database: FreshDatabase
) -> None:
    """Postings written behind the service's back (here: one side only) are caught."""
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        account = resident_account(session)
        transaction = fund(session, account, 100, now=now)
        session.execute(
            text(
                "INSERT INTO ledger_postings (transaction_id, account_id, amount, unit, balance_after)"
                " SELECT transaction_id, account_id, 5, unit, balance_after + 5 FROM ledger_postings"
                " WHERE amount = 100"
            )
        )
        session.execute(
            text("UPDATE ledger_accounts SET balance = balance + 5 WHERE balance = 100")
        )
        session.commit()
    result = toshav.invoke(main, ["ledger", "check", "--lang", "en"])
    assert result.exit_code == 1
    assert f"transaction {transaction.id} does not balance in PARKING_MIN: it sums to 5" in (
        result.output
    )


def test_expire_holds_frees_what_expired_holds_reserved(
    toshav: CliRunner, fresh_database: FreshDatabase
) -> None:
    now = datetime.now(UTC)
    with fresh_database.session() as session:
        payer, payee = resident_account(session), resident_account(session)
        fund(session, payer, 100, now=now - timedelta(hours=2))
        hold = create_hold(
            session,
            idempotency_key=new_key(),
            kind="parking",
            postings=[PostingInput(payer.id, -10), PostingInput(payee.id, 10)],
            expires_at=now - timedelta(minutes=1),
            now=now - timedelta(hours=1),
        )
        session.commit()
    result = toshav.invoke(main, ["ledger", "expire-holds", "--lang", "en"])
    assert (result.exit_code, result.output.strip()) == (0, "1 holds expired.")
    with fresh_database.session() as session:
        assert get_hold(session, hold.id).status == HoldStatus.expired
        assert get_balance(session, payer.id, now=now).available == 100
    assert toshav.invoke(main, ["ledger", "check"]).exit_code == 0
