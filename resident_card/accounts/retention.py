"""How long sign-in records are kept: failed sign-ins, and refresh tokens once expired.

A failed sign-in only slows its client for ``login_failure_window_seconds``; a refresh token
signs no one in after ``expires_at``. Past their retention days they are deleted.
"""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.orm import Session

from kernel.retention import Retention
from resident_card.accounts.repository import AccountRetentionRepository
from resident_card.audit.retention import retention_job


def delete_login_failures(session: Session, cutoff: datetime, now: datetime) -> int:
    return AccountRetentionRepository(session).delete_login_failures_before(cutoff)


def delete_refresh_tokens(session: Session, cutoff: datetime, now: datetime) -> int:
    """Tokens expired before the cutoff (a rotated or revoked one too: its expiry passed)."""
    return AccountRetentionRepository(session).delete_refresh_tokens_expired_before(cutoff)


LOGIN_FAILURES = Retention(
    "accounts.login_failures", "login_failure_retention_days", delete_login_failures
)
REFRESH_TOKENS = Retention(
    "accounts.refresh_tokens", "refresh_token_retention_days", delete_refresh_tokens
)
RULES = (LOGIN_FAILURES, REFRESH_TOKENS)
RETENTION = retention_job("resident_card.apply_retention", RULES, at=time(3, 0))
