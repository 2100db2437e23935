"""The settings of messages: the service's (``kernel.settings.Settings``) and how messages leave
it, read from the same environment (``TOSHAV_SMTP_URL``, ``TOSHAV_MAIL_FROM``, ``TOSHAV_MESSAGES_…``)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from kernel.settings import Settings, settings_as


class MessagesSettings(Settings):
    """What messages read from the environment, beside the kernel's and the card's settings."""

    # Email over SMTP: smtp://host:port, smtps://host:port for TLS from the first byte, with
    # user:password@ when the server asks for them. Unset: email goes to ``mail_file``, or to the
    # console log when that is unset too.
    smtp_url: SecretStr | None = None
    mail_from: str = Field(
        default="Toshav <no-reply@toshav.example.city>", min_length=3, max_length=254
    )
    mail_file: Path | None = None
    # Text messages go to this file (one JSON line each), or to the console log when it is unset.
    sms_file: Path | None = None
    smtp_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    # A delivery is tried this many times in all; the wait before the second try is
    # ``messages_retry_seconds``, doubled before each next one.
    messages_max_attempts: int = Field(default=6, ge=1, le=20)
    messages_retry_seconds: float = Field(default=60.0, ge=0, le=86_400)
    # How long a worker holds a delivery it claimed before another may take it: longer than a send
    # can take (``smtp_timeout_seconds``), or the other worker sends it a second time.
    messages_claim_seconds: float = Field(default=300.0, ge=1, le=86_400)
    messages_batch_size: int = Field(default=20, ge=1, le=500)
    # Days a message (inbox and deliveries) is kept before the nightly job deletes it.
    messages_retention_days: int = Field(default=365, ge=1, le=3650)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        parts = urlsplit(value.get_secret_value())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("TOSHAV_SMTP_URL must be smtp://host:port or smtps://host:port")
        return value


def messages_settings(settings: Settings) -> MessagesSettings:
    """The service's settings as messages read them."""
    return settings_as(settings, MessagesSettings)
