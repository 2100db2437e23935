"""The settings of the limits on volume (environment, prefix ``TOSHAV_``): the kernel's
``Settings`` has them all. See docs/decisions/0013-limits-on-volume.md."""

from __future__ import annotations

from typing import Literal

from limits import parse_many
from pydantic import field_validator
from pydantic_settings import BaseSettings

Strategy = Literal["sliding-window-counter", "fixed-window"]


class LimitsSettings(BaseSettings):
    """How often one client address, and one account, may take each limited action.

    Each rate is the ``limits`` notation, one or more windows: ``"10/minute;100/hour"``; an empty
    string sets no limit on that scope. ``limit_<action>`` counts by client address,
    ``limit_<action>_per_account`` by the account the action is for (the username signing in, the
    staff member verifying a card, ...).
    """

    limits_enabled: bool = True
    limits_strategy: Strategy = "sliding-window-counter"
    # Counters in Redis when set (every process of the service must name the same one), in the
    # service's database otherwise.
    redis_url: str | None = None
    # Set apart the keys of one deployment (or one test) in a Redis shared with others.
    redis_key_prefix: str = "toshav"

    limit_sign_in: str = "10/minute;100/hour"
    limit_sign_in_per_account: str = "20/minute"
    limit_enrolment: str = "10/hour"
    limit_enrolment_per_account: str = "3/hour"
    limit_password_reset: str = "10/hour"  # noqa: S105 - a rate, not a secret
    limit_password_reset_per_account: str = "5/hour"  # noqa: S105 - a rate, not a secret
    limit_card_verification: str = "120/minute"
    limit_card_verification_per_account: str = "60/minute;1500/hour"
    limit_card_token: str = "60/minute"  # noqa: S105 - a rate, not a secret
    limit_card_token_per_account: str = "10/minute"  # noqa: S105 - a rate, not a secret
    limit_plate_inspection: str = "60/minute"
    limit_plate_inspection_per_account: str = "20/minute;300/hour"
    limit_purchase: str = "120/minute"
    limit_purchase_per_account: str = "60/minute;1500/hour"

    @field_validator(
        "limit_sign_in",
        "limit_sign_in_per_account",
        "limit_enrolment",
        "limit_enrolment_per_account",
        "limit_password_reset",
        "limit_password_reset_per_account",
        "limit_card_verification",
        "limit_card_verification_per_account",
        "limit_card_token",
        "limit_card_token_per_account",
        "limit_plate_inspection",
        "limit_plate_inspection_per_account",
        "limit_purchase",
        "limit_purchase_per_account",
    )
    @classmethod
    def _a_rate(cls, value: str) -> str:
        value = value.strip()
        if value:
            parse_many(value)  # ValueError names what it could not read
        return value
