"""Posting to the outbox: in the event's transaction, once per key, to the right addresses."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import notices
from kernel.notices import Category
from messages.models import Message
from messages.service import inbox
from tests.conftest import FreshDatabase
from tests.factories import create_resident, create_user
from tests.messages.support import deliveries_of, messages_of, notice
from toshav.settings import ServiceSettings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others


def test_a_notice_is_a_message_with_an_email_and_a_text(
    session: Session, settings: ServiceSettings
) -> None:
    resident = create_resident(session, settings, user=True, email="noa@example.org")
    resident.phone = "+972501234567"
    session.flush()
    assert resident.user_id is not None

    notices.post(session, notice(resident.user_id))

    [message] = messages_of(session, resident.user_id)
    assert message.title_en == "Your residency is verified 1"
    assert message.in_inbox
    assert message.read_at is None
    deliveries = deliveries_of(session, message)
    assert {channel: d.address for channel, d in deliveries.items()} == {
        "email": "noa@example.org",
        "sms": "+972501234567",
    }
    assert {d.status for d in deliveries.values()} == {"pending"}


def test_a_keyed_notice_is_posted_once_per_account(
    session: Session, settings: ServiceSettings
) -> None:
    one = create_resident(session, settings, user=True)
    other = create_resident(session, settings, user=True)
    assert one.user_id is not None
    assert other.user_id is not None

    for _ in range(3):
        notices.post(session, notice(one.user_id, key="permit:42:expiring"))
    notices.post(session, notice(other.user_id, key="permit:42:expiring"))
    notices.post(session, notice(one.user_id, 2))
    notices.post(session, notice(one.user_id, 3))

    assert len(messages_of(session, one.user_id)) == 3
    assert len(messages_of(session, other.user_id)) == 1
    [keyed] = [m for m in messages_of(session, one.user_id) if m.key]
    assert list(deliveries_of(session, keyed)) == ["email"]


def test_an_account_without_an_address_gets_no_email(
    session: Session, settings: ServiceSettings
) -> None:
    merchant = create_user(session, settings, role="merchant")

    notices.post(session, notice(merchant.id, category=Category.business))

    [message] = messages_of(session, merchant.id)
    assert deliveries_of(session, message) == {}
    assert (
        inbox.inbox(session, merchant.id, today=date(2026, 12, 1), limit=10, offset=0).unread == 1
    )


def test_an_address_given_overrides_and_email_only_stays_out_of_the_inbox(
    session: Session, settings: ServiceSettings
) -> None:
    resident = create_resident(session, settings, user=True, email="old@example.org")
    resident.phone = "+972501234567"
    session.flush()
    assert resident.user_id is not None

    notices.post(
        session,
        notice(
            resident.user_id,
            category=Category.security,
            email="new@example.org",
            email_only=True,
            link="/account/email?token=secret",
        ),
    )

    [message] = messages_of(session, resident.user_id)
    assert not message.in_inbox
    deliveries = deliveries_of(session, message)
    assert list(deliveries) == ["email"]
    assert deliveries["email"].address == "new@example.org"
    assert (
        inbox.inbox(session, resident.user_id, today=date(2026, 12, 1), limit=10, offset=0).total
        == 0
    )


def test_a_category_turned_off_is_kept_in_the_inbox_and_not_sent(
    session: Session, settings: ServiceSettings
) -> None:
    resident = create_resident(session, settings, user=True)
    assert resident.user_id is not None
    inbox.choose(session, resident.user_id, {"cashback": False}, language="en")

    notices.post(session, notice(resident.user_id, 1, category=Category.cashback))
    notices.post(session, notice(resident.user_id, 2, category=Category.residency))

    cashback, residency = messages_of(session, resident.user_id)
    assert deliveries_of(session, cashback) == {}
    assert list(deliveries_of(session, residency)) == ["email"]
    assert (
        inbox.inbox(session, resident.user_id, today=date(2026, 12, 1), limit=10, offset=0).total
        == 2
    )


def test_a_notice_posted_in_a_transaction_rolled_back_leaves_no_message(
    fresh_database: FreshDatabase,
) -> None:
    settings = fresh_database.settings
    with fresh_database.session() as session:
        resident = create_resident(session, settings, user=True)
        account_id = resident.user_id
        session.commit()
    assert account_id is not None

    with fresh_database.session() as session:
        notices.post(session, notice(account_id, 1))
        assert len(messages_of(session, account_id)) == 1  # there, inside the transaction
        session.rollback()
    with fresh_database.session() as session:
        notices.post(session, notice(account_id, 2))
        session.commit()

    with fresh_database.session() as session:
        titles = session.scalars(select(Message.title_en).where(Message.account_id == account_id))
        assert list(titles) == ["Your residency is verified 2"]
