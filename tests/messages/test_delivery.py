"""Delivering the outbox: a real SMTP server receives each message once, in its person's language,
with its link absolute; tries that fail are retried with back-off; two workers never send one
delivery twice."""

from __future__ import annotations

import json
import mailbox
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from kernel import notices
from kernel.notices import Category
from kernel.schedule import Drain
from messages import tasks
from messages.models import Channel, Message, MessageDelivery
from messages.providers import (
    Console,
    FileEmail,
    Outgoing,
    ProviderFailed,
    Providers,
    SmtpEmail,
    providers_for,
)
from messages.service import delivery, inbox
from messages.settings import MessagesSettings, messages_settings
from resident_card.accounts.models import User
from tests.conftest import FreshDatabase
from tests.factories import create_resident
from tests.messages.support import Flaky, context, deliveries_of, messages_of, notice
from tests.smtp import SmtpServer
from toshav.settings import ServiceSettings

PUBLIC_URL = "https://toshav.haifa.example"


def _settings(fresh_database: FreshDatabase, **overrides: object) -> ServiceSettings:
    return fresh_database.settings.model_copy(update={"public_url": PUBLIC_URL, **overrides})


def _person(
    fresh_database: FreshDatabase, *, email: str, language: str = "he", phone: str | None = None
) -> uuid.UUID:
    with fresh_database.session() as session:
        resident = create_resident(session, fresh_database.settings, user=True, email=email)
        assert resident.user_id is not None
        session.get_one(User, resident.user_id).preferred_language = language
        resident.phone = phone
        session.commit()
        return resident.user_id


def _post(fresh_database: FreshDatabase, *posted: notices.Notice) -> None:
    with fresh_database.session() as session:
        for one in posted:
            notices.post(session, one)
        session.commit()


def _fixed(providers: Providers) -> Drain:
    return tasks.deliverer(lambda _settings: providers)


def _later(seconds: float = 1) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_a_real_smtp_server_receives_each_email_in_its_person_s_language(
    fresh_database: FreshDatabase, smtp_server: SmtpServer
) -> None:
    settings = _settings(fresh_database, smtp_url=SecretStr(smtp_server.url))
    arabic = _person(fresh_database, language="ar", email="rana@example.org")
    english = _person(fresh_database, language="en", email="sam@example.org")
    _post(
        fresh_database,
        notice(arabic, link="/wallet#requests"),
        notice(english, link="/wallet#requests"),
    )

    done = tasks.DELIVER.run(context(settings, fresh_database.engine, _later()))

    assert done == 2
    received = {email.recipients[0]: email for email in smtp_server.wait_for(2)}
    assert set(received) == {"rana@example.org", "sam@example.org"}
    rana, sam = received["rana@example.org"], received["sam@example.org"]
    assert rana.subject == "تمت الموافقة على إقامتك 1"
    assert "يمكنك استخدام بطاقة المقيم." in rana.text()
    assert f"{PUBLIC_URL}/wallet#requests" in rana.text()
    assert rana.message["Content-Language"] == "ar"
    assert 'dir="rtl"' in rana.html()
    assert sam.subject == "Your residency is verified 1"
    assert f"Details: {PUBLIC_URL}/wallet#requests" in sam.text()
    assert 'dir="ltr"' in sam.html()
    assert rana.sender == sam.sender == "no-reply@toshav.example.city"
    # Once: the next run finds nothing due.
    assert tasks.DELIVER.run(context(settings, fresh_database.engine, _later(5))) == 0
    assert len(smtp_server.received) == 2
    with fresh_database.session() as session:
        for account in (arabic, english):
            [message] = messages_of(session, account)
            sent = deliveries_of(session, message)["email"]
            assert (sent.status, sent.attempts, sent.claimed_until) == ("sent", 1, None)
            assert sent.sent_at is not None


def test_a_category_turned_off_is_not_emailed(
    fresh_database: FreshDatabase, smtp_server: SmtpServer
) -> None:
    settings = _settings(fresh_database, smtp_url=SecretStr(smtp_server.url))
    account = _person(fresh_database, language="en", email="dan@example.org")
    with fresh_database.session() as session:
        inbox.choose(session, account, {"cashback": False}, language="en")
        session.commit()
    # Posted while still wanted, turned off before the worker came: not sent either.
    _post(fresh_database, notice(account, 1, category=Category.permits))
    with fresh_database.session() as session:
        inbox.choose(session, account, {"permits": False}, language="en")
        session.commit()
    _post(
        fresh_database,
        notice(account, 2, category=Category.cashback),
        notice(account, 3, category=Category.residency),
    )

    tasks.DELIVER.run(context(settings, fresh_database.engine, _later()))

    [email] = smtp_server.wait_for(1)
    assert email.subject == "Your residency is verified 3"
    with fresh_database.session() as session:
        permits, _, _ = messages_of(session, account)
        assert deliveries_of(session, permits)["email"].status == "skipped"


@pytest.mark.parametrize("runs", [1, 2])
def test_each_message_is_delivered_once_per_channel_by_two_drains_and_a_flaky_provider(
    fresh_database: FreshDatabase, runs: int
) -> None:
    settings = _settings(fresh_database, messages_batch_size=3)
    account = _person(fresh_database, email="lea@example.org", phone="+972501234567")
    _post(fresh_database, *(notice(account, number) for number in range(12)))
    email, sms = Flaky(failures=2), Flaky(failures=2)
    drain = _fixed({Channel.email: email, Channel.sms: sms})
    retry = messages_settings(settings).messages_retry_seconds
    start = _later()
    # Each step is a moment both workers run at, at once: the first try, then just after the
    # first back-off (the retry time), then just after the second (twice it).
    steps = [start, start + timedelta(seconds=retry + 1), start + timedelta(seconds=3 * retry + 2)]
    problems: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        try:
            for moment in steps:
                barrier.wait(timeout=60)
                for _ in range(runs):
                    drain.run(context(settings, fresh_database.engine, moment))
        except BaseException as exc:
            problems.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert problems == []
    for provider in (email, sms):
        references = [outgoing.reference for outgoing in provider.sent]
        assert len(references) == len(set(references)) == 12
        assert set(provider.tries.values()) == {3}
    with fresh_database.session() as session:
        rows = session.scalars(select(MessageDelivery)).all()
        assert len(rows) == 24
        assert {(row.status, row.attempts) for row in rows} == {("sent", 3)}


def test_a_failed_try_waits_the_back_off_doubling_and_the_last_one_gives_up(
    fresh_database: FreshDatabase,
) -> None:
    settings = _settings(fresh_database, messages_max_attempts=3, messages_retry_seconds=10)
    account = _person(fresh_database, email="omer@example.org")
    _post(fresh_database, notice(account))
    down = Flaky(failures=99)
    drain = _fixed({Channel.email: down, Channel.sms: down})
    start = _later()

    def state() -> MessageDelivery:
        with fresh_database.session() as session:
            [message] = messages_of(session, account)
            return deliveries_of(session, message)["email"]

    assert drain.run(context(settings, fresh_database.engine, start)) == 1
    first = state()
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error == "ProviderFailed: the gateway is down"
    assert 10 <= (first.next_attempt_at - start).total_seconds() < 12
    # Not due before its back-off has passed.
    assert drain.run(context(settings, fresh_database.engine, start + timedelta(seconds=9))) == 0

    second_try = start + timedelta(seconds=11)
    assert drain.run(context(settings, fresh_database.engine, second_try)) == 1
    second = state()
    assert second.attempts == 2
    assert 20 <= (second.next_attempt_at - second_try).total_seconds() < 22

    assert (
        drain.run(context(settings, fresh_database.engine, second_try + timedelta(seconds=21))) == 1
    )
    last = state()
    assert (last.status, last.attempts, last.sent_at) == ("failed", 3, None)
    assert drain.run(context(settings, fresh_database.engine, start + timedelta(days=1))) == 0
    assert down.sent == []


def test_a_claim_that_runs_out_is_taken_by_another_worker_and_the_late_one_records_nothing(
    fresh_database: FreshDatabase,
) -> None:
    settings = _settings(fresh_database, messages_claim_seconds=60)
    domain_settings: MessagesSettings = messages_settings(settings)
    account = _person(fresh_database, email="maya@example.org")
    _post(fresh_database, notice(account))
    transactions = context(settings, fresh_database.engine, _later()).transactions
    start = _later()
    # A worker claims it and is never heard of again (killed mid-send).
    [lost] = transactions(lambda session: delivery.claim(session, domain_settings, now=start))
    provider = Flaky()
    drain = _fixed({Channel.email: provider, Channel.sms: provider})

    held = drain.run(context(settings, fresh_database.engine, start + timedelta(seconds=30)))
    taken = drain.run(context(settings, fresh_database.engine, start + timedelta(seconds=61)))
    late = transactions(
        lambda session: delivery.record(
            session, domain_settings, lost, error=None, now=start + timedelta(seconds=90)
        )
    )

    assert (held, taken, late) == (0, 1, False)
    assert len(provider.sent) == 1
    with fresh_database.session() as session:
        [message] = messages_of(session, account)
        row = deliveries_of(session, message)["email"]
        assert (row.status, row.attempts) == ("sent", 2)


def test_a_one_time_link_is_forgotten_once_its_email_is_sent(
    fresh_database: FreshDatabase,
) -> None:
    settings = _settings(fresh_database)
    account = _person(fresh_database, email="gal@example.org")
    _post(
        fresh_database,
        notice(account, category=Category.security, email_only=True, link="/reset?token=abc"),
    )
    provider = Flaky()

    _fixed({Channel.email: provider, Channel.sms: provider}).run(
        context(settings, fresh_database.engine, _later())
    )

    [sent] = provider.sent
    assert f"{PUBLIC_URL}/reset?token=abc" in sent.text
    with fresh_database.session() as session:
        [message] = session.scalars(select(Message).where(Message.account_id == account)).all()
        assert (message.link, message.body_en) == (None, "")


def test_email_without_smtp_goes_to_the_mail_file_and_texts_to_the_sms_file(
    fresh_database: FreshDatabase, tmp_path: Path
) -> None:
    folder = tmp_path
    settings = _settings(
        fresh_database, mail_file=folder / "mail.mbox", sms_file=folder / "sms.jsonl"
    )
    account = _person(fresh_database, language="en", email="ido@example.org", phone="+97250")
    _post(fresh_database, notice(account, 1), notice(account, 2))

    assert tasks.DELIVER.run(context(settings, fresh_database.engine, _later())) == 4

    emails = list(mailbox.mbox(folder / "mail.mbox"))
    texts = [json.loads(line) for line in (folder / "sms.jsonl").read_text().splitlines()]
    assert sorted(str(email["Subject"]) for email in emails) == [
        "Your residency is verified 1",
        "Your residency is verified 2",
    ]
    assert {text["to"] for text in texts} == {"+97250"}
    assert sorted(text["text"] for text in texts) == [
        f"Your residency is verified 1 {PUBLIC_URL}/wallet#card",
        f"Your residency is verified 2 {PUBLIC_URL}/wallet#card",
    ]


def test_the_providers_follow_the_settings() -> None:
    plain = MessagesSettings()
    smtp = MessagesSettings(smtp_url=SecretStr("smtps://user:pw@mail.example:465"))

    assert isinstance(providers_for(plain)[Channel.email], Console)
    assert isinstance(providers_for(smtp)[Channel.email], SmtpEmail)
    assert isinstance(
        providers_for(MessagesSettings(mail_file=Path("x.mbox")))[Channel.email],
        FileEmail,
    )
    with pytest.raises(ValueError, match="TOSHAV_SMTP_URL"):
        MessagesSettings(smtp_url=SecretStr("http://mail.example"))


def test_in_production_with_nowhere_to_send_the_log_holds_no_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    providers = providers_for(MessagesSettings(env="production"))
    outgoing = Outgoing(
        reference="d-1",
        channel=Channel.email,
        to="noa@example.org",
        language="en",
        subject="Reset your password",
        text="Noa Levi: https://toshav.example.city/reset-password#token=s3cr3t",
    )

    with caplog.at_level("INFO", logger="toshav.messages"), pytest.raises(ProviderFailed):
        providers[Channel.email].send(outgoing)

    logged = caplog.text
    assert "d-1" in logged
    for personal in ("noa@example.org", "Noa Levi", "s3cr3t", "Reset your password"):
        assert personal not in logged
