"""Delivering messages: claiming what is due, writing each in its person's language, and recording
how each try went.

A worker claims due deliveries in one short transaction (``claim``), sends them outside it, and
records each outcome in another (``record``). A claim holds a delivery until ``claimed_until``;
no other worker takes it before then, so each is sent once while its worker finishes in time,
and at least once whatever happens (docs/decisions/0007-outbox-and-deliveries.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from kernel.i18n import LANGUAGES, Language, Text, render
from kernel.notices import CRITICAL, Category
from messages.models import Channel, DeliveryStatus, Message
from messages.providers import Outgoing
from messages.repository import MessageRepository
from messages.settings import MessagesSettings

ERROR_LENGTH = 500

FOOTER: Text = {
    "he": 'הודעה זו נשלחה מהשירות "תושב", כרטיס התושב של העיר. בחירת ההודעות שיישלחו אליך: {url}',
    "ar": "أُرسلت هذه الرسالة من «توشاف»، بطاقة المقيم في المدينة. لاختيار الرسائل التي تصلك: {url}",
    "en": "Sent by Toshav, the city's resident card. Choose which messages you get: {url}",
}
OPEN: Text = {"he": "לפרטים: {url}", "ar": "للتفاصيل: {url}", "en": "Details: {url}"}
INBOX_PATH = "/wallet#inbox"


@dataclass(frozen=True)
class Claim:
    """A delivery this worker holds, ready to send."""

    delivery_id: uuid.UUID
    message_id: uuid.UUID
    claimed_until: datetime
    attempts: int  # this try counted
    outgoing: Outgoing


def absolute(public_url: str, link: str) -> str:
    """A path of the service's pages as the address people reach them at."""
    if link.startswith(("http://", "https://")):
        return link
    return public_url.rstrip("/") + "/" + link.lstrip("/")


def language_of(preferred: str) -> Language:
    return preferred if preferred in LANGUAGES else "he"


def compose(
    settings: MessagesSettings, message: Message, channel: Channel, language: Language
) -> tuple[str, str]:
    """The subject and the text of a message on a channel, in one language, its link absolute."""
    title, body = message.title(language), message.body(language)
    link = absolute(settings.public_url, message.link) if message.link else None
    if channel is Channel.sms:
        return title, " ".join(part for part in (title, link) if part)
    paragraphs = [body]
    if link:
        paragraphs.append(render(OPEN, language, url=link))
    paragraphs.append(render(FOOTER, language, url=absolute(settings.public_url, INBOX_PATH)))
    return title, "\n\n".join(paragraphs)


def claim(session: Session, settings: MessagesSettings, *, now: datetime) -> list[Claim]:
    """Claim up to a batch of due deliveries for this worker until ``now`` plus the claim time,
    each counted as one more attempt. A delivery whose person turned its category off since it
    was posted is skipped; one out of attempts (its last worker never came back) is given up."""
    repository = MessageRepository(session)
    due = repository.due(now, settings.messages_batch_size)
    until = now + timedelta(seconds=settings.messages_claim_seconds)
    claims: list[Claim] = []
    for found in repository.claimed(due):
        delivery, message = found.delivery, found.message
        if not found.wanted and Category(message.category) not in CRITICAL:
            delivery.status = DeliveryStatus.skipped.value
            continue
        if delivery.attempts >= settings.messages_max_attempts:
            delivery.status = DeliveryStatus.failed.value
            delivery.last_error = delivery.last_error or "given up: no worker finished a try"
            continue
        delivery.attempts += 1
        delivery.claimed_until = until
        delivery.next_attempt_at = until
        channel = Channel(delivery.channel)
        language = language_of(found.language)
        subject, text = compose(settings, message, channel, language)
        claims.append(
            Claim(
                delivery.id,
                message.id,
                until,
                delivery.attempts,
                Outgoing(str(delivery.id), channel, delivery.address, language, subject, text),
            )
        )
    session.flush()
    return claims


def record(
    session: Session,
    settings: MessagesSettings,
    claim: Claim,
    *,
    error: str | None,
    now: datetime,
) -> bool:
    """Record a try of a claimed delivery: sent (``error`` None), or failed and due again after
    the back-off (the retry time, doubled for each try before), or given up after the last
    attempt. False when the claim had run out and another worker had taken the delivery over."""
    repository = MessageRepository(session)
    if error is None:
        values: dict[str, object] = {
            "status": DeliveryStatus.sent.value,
            "sent_at": now,
            "claimed_until": None,
            "last_error": None,
        }
    elif claim.attempts >= settings.messages_max_attempts:
        values = {
            "status": DeliveryStatus.failed.value,
            "claimed_until": None,
            "last_error": error[:ERROR_LENGTH],
        }
    else:
        wait = settings.messages_retry_seconds * 2 ** (claim.attempts - 1)
        values = {
            "next_attempt_at": now + timedelta(seconds=wait),
            "claimed_until": None,
            "last_error": error[:ERROR_LENGTH],
        }
    recorded = repository.finish(claim.delivery_id, claim.claimed_until, values)
    if recorded and (error is None or values.get("status") == DeliveryStatus.failed.value):
        repository.forget_link(claim.message_id)
    return recorded
