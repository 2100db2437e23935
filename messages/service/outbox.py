"""Posting a notice to the outbox, in the transaction of the event that caused it.

The message and one delivery per channel it goes out on are written in the caller's session: they
exist if and only if the event commits (docs/decisions/0007-outbox-and-deliveries.md). A worker
delivers them later (``delivery``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kernel.database import utcnow
from kernel.i18n import LANGUAGES
from kernel.notices import CRITICAL, Category, Notice, NoticeBox
from messages.models import Channel, MessageDelivery
from messages.repository import MessageRepository

TITLE_LENGTH = 300
BODY_LENGTH = 4000


def post(session: Session, notice: Notice) -> None:
    """Write the notice's message and its deliveries. A notice whose ``key`` this account was
    already posted is not posted again. An ``email_only`` notice stays out of the inbox and goes by
    email alone; ``notice.email`` sends it there instead of the account's own address. A category
    the person turned off (never a critical one) is kept in the inbox and neither emailed nor
    texted."""
    repository = MessageRepository(session)
    message_id = repository.add(
        {
            "account_id": notice.account_id,
            "category": Category(notice.category).value,
            **{f"title_{lang}": notice.title[lang][:TITLE_LENGTH] for lang in LANGUAGES},
            **{f"body_{lang}": notice.body[lang][:BODY_LENGTH] for lang in LANGUAGES},
            "link": notice.link,
            "key": notice.key,
            "in_inbox": not notice.email_only,
            "read_at": None,
            "created_at": utcnow(),
        }
    )
    if message_id is None:
        return
    if notice.category not in CRITICAL and not repository.is_wanted(
        notice.account_id, notice.category
    ):
        return
    contact = repository.contact_of(notice.account_id)
    now = utcnow()
    addresses = {
        Channel.email: notice.email or contact.email,
        Channel.sms: None if notice.email_only else contact.phone,
    }
    for channel, address in addresses.items():
        if address:
            repository.add_delivery(
                MessageDelivery(
                    message_id=message_id,
                    channel=channel.value,
                    address=address,
                    next_attempt_at=now,
                )
            )


# The outbox, as the composition root installs it in ``kernel.notices``.
BOX = NoticeBox(post=post)
