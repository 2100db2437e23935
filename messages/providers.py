"""Where messages leave the service: one interface, a provider per channel.

Email goes over SMTP when ``TOSHAV_SMTP_URL`` is set, else to ``TOSHAV_MAIL_FILE`` (an mbox, one
message per entry), else to the console log. Text messages go to ``TOSHAV_SMS_FILE`` (one JSON line
each), else to the console log; a real gateway is one more provider behind the same interface.
A provider raises ``ProviderFailed`` (or any error) when a message did not leave: the delivery is
tried again later.
"""

from __future__ import annotations

import fcntl
import html
import json
import logging
import mailbox
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from kernel.i18n import RIGHT_TO_LEFT, Language
from messages.models import Channel
from messages.settings import MessagesSettings

logger = logging.getLogger("toshav.messages")


class ProviderFailed(Exception):
    """The message did not leave; it may on a later try."""


@dataclass(frozen=True)
class Outgoing:
    """One message on its way out, written in the person's language."""

    reference: str  # the delivery's id: the same on every try, so a resent email can be told apart
    channel: Channel
    to: str
    language: Language
    subject: str
    text: str


class Provider(Protocol):
    """Sends one message on one channel, or raises."""

    def send(self, outgoing: Outgoing) -> None: ...


def email_message(outgoing: Outgoing, sender: str) -> EmailMessage:
    """The email of a message: plain text, and the same in HTML written in its direction."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = outgoing.to
    message["Subject"] = outgoing.subject
    message["Date"] = formatdate(localtime=False)
    # One id per delivery, on every try: a mail client shows a resent copy as the same message.
    message["Message-ID"] = make_msgid(idstring=outgoing.reference, domain="toshav.messages")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(outgoing.text)
    direction = "rtl" if outgoing.language in RIGHT_TO_LEFT else "ltr"
    paragraphs = "".join(
        f"<p>{html.escape(paragraph).replace(chr(10), '<br>')}</p>"
        for paragraph in outgoing.text.split("\n\n")
    )
    message.add_alternative(
        f'<!doctype html><html lang="{outgoing.language}" dir="{direction}"><body>'
        f"{paragraphs}</body></html>",
        subtype="html",
    )
    # After the parts are made: making them moves every Content- header into the first part.
    message["Content-Language"] = outgoing.language
    return message


@dataclass(frozen=True)
class SmtpEmail:
    """Email through an SMTP server: ``smtp://`` (STARTTLS when the server offers it),
    ``smtps://`` (TLS from the start), with ``user:password@`` when the server asks."""

    url: str
    sender: str
    timeout: float

    def send(self, outgoing: Outgoing) -> None:
        parts = urlsplit(self.url)
        host = parts.hostname or "127.0.0.1"
        secure = parts.scheme == "smtps"
        port = parts.port or (465 if secure else 25)
        try:
            client = (
                smtplib.SMTP_SSL(
                    host, port, timeout=self.timeout, context=ssl.create_default_context()
                )
                if secure
                else smtplib.SMTP(host, port, timeout=self.timeout)
            )
            with client:
                client.ehlo()
                if not secure and client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                if parts.username:
                    client.login(unquote(parts.username), unquote(parts.password or ""))
                client.send_message(email_message(outgoing, self.sender))
        except (OSError, smtplib.SMTPException) as exc:
            raise ProviderFailed(f"SMTP {host}:{port}: {exc.__class__.__name__}: {exc}") from exc


@dataclass(frozen=True)
class FileEmail:
    """Email appended to an mbox file, one message per entry (development and tests)."""

    path: Path
    sender: str

    def send(self, outgoing: Outgoing) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        box = mailbox.mbox(self.path)
        box.lock()
        try:
            box.add(email_message(outgoing, self.sender))
            box.flush()
        finally:
            box.unlock()
            box.close()


@dataclass(frozen=True)
class FileSms:
    """Text messages appended to a file, one JSON line each."""

    path: Path

    def send(self, outgoing: Outgoing) -> None:
        line = json.dumps(
            {"reference": outgoing.reference, "to": outgoing.to, "text": outgoing.text},
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            fcntl.flock(file, fcntl.LOCK_EX)
            file.write(line + "\n")


@dataclass(frozen=True)
class Console:
    """Messages written to the log, for a development machine with nowhere to send them.

    In production (``whole`` false) the log holds no address, name or link: a message with nowhere
    to go is named by its reference and not sent, so it is tried again and given up as failed.
    """

    whole: bool = True

    def send(self, outgoing: Outgoing) -> None:
        if not self.whole:
            logger.error(
                "%s %s: not sent, no provider is configured (TOSHAV_SMTP_URL, TOSHAV_SMS_FILE)",
                outgoing.channel.value,
                outgoing.reference,
            )
            raise ProviderFailed("no provider is configured")
        logger.info(
            "%s to %s (%s): %s\n%s",
            outgoing.channel.value,
            outgoing.to,
            outgoing.reference,
            outgoing.subject,
            outgoing.text,
        )


Providers = Mapping[Channel, Provider]
# What a drain sends with, made from the settings on each run.
ProvidersFor = Callable[[MessagesSettings], Providers]


def providers_for(settings: MessagesSettings) -> Providers:
    """The providers the settings name, one per channel."""
    console = Console(whole=not settings.is_production)
    email: Provider
    if settings.smtp_url is not None:
        email = SmtpEmail(
            settings.smtp_url.get_secret_value(), settings.mail_from, settings.smtp_timeout_seconds
        )
    elif settings.mail_file is not None:
        email = FileEmail(settings.mail_file, settings.mail_from)
    else:
        email = console
    sms: Provider = FileSms(settings.sms_file) if settings.sms_file is not None else console
    return {Channel.email: email, Channel.sms: sms}
