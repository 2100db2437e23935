"""What the operators' /metrics shows of messages: deliveries by status and the outbox's backlog,
read from the outbox when /metrics is read (the worker, another process, delivers)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kernel.metrics import Metrics, Reading, Samples
from messages import repository


def _deliveries(session: Session) -> Samples:
    return [
        ((channel, status), count)
        for channel, status, count in repository.deliveries_by_status(session)
    ]


def _backlog(session: Session) -> Samples:
    return [((channel,), count) for channel, count, _ in repository.backlog(session)]


def _oldest(session: Session) -> Samples:
    return [((channel,), oldest.timestamp()) for channel, _, oldest in repository.backlog(session)]


METRICS: Metrics = (
    Reading(
        "toshav_message_deliveries",
        "Deliveries of messages by email or SMS, by channel and status (pending, sent, failed: given "
        "up, skipped: the person turned the category off).",
        ("channel", "status"),
        _deliveries,
    ),
    Reading(
        "toshav_outbox_backlog",
        "Deliveries still to go out, by channel.",
        ("channel",),
        _backlog,
    ),
    Reading(
        "toshav_outbox_oldest_pending_timestamp_seconds",
        "When the oldest delivery still to go out was made, by channel (Unix time).",
        ("channel",),
        _oldest,
    ),
)
