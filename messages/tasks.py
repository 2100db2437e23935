"""The work of messages that runs by itself: the drain that delivers the outbox."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from functools import partial

from kernel.schedule import Drain, JobContext
from messages.providers import ProvidersFor, providers_for
from messages.service import delivery
from messages.settings import messages_settings

logger = logging.getLogger("toshav.messages")

# Batches one run takes at most before it lets the worker do its other work.
MAX_BATCHES = 10


def deliverer(providers: ProvidersFor = providers_for) -> Drain:
    """The drain ``messages.deliver``: claims due deliveries, sends each through its channel's
    provider outside the claiming transaction, and records how it went. ``providers`` makes the
    providers from the settings (a test gives its own)."""

    def run(context: JobContext) -> int:
        settings = messages_settings(context.settings)
        sending = providers(settings)
        started = time.monotonic()

        def now() -> datetime:
            return context.now + timedelta(seconds=time.monotonic() - started)

        done = 0
        for _ in range(MAX_BATCHES):
            claims = context.transactions(partial(delivery.claim, settings=settings, now=now()))
            for claim in claims:
                error: str | None = None
                try:
                    sending[claim.outgoing.channel].send(claim.outgoing)
                except Exception as exc:  # any failure of a provider is a failed try, retried
                    error = f"{exc.__class__.__name__}: {exc}"
                    logger.warning(
                        "delivery %s (%s) failed, try %d: %s",
                        claim.delivery_id,
                        claim.outgoing.channel.value,
                        claim.attempts,
                        error,
                    )
                recorded = context.transactions(
                    partial(delivery.record, settings=settings, claim=claim, error=error, now=now())
                )
                if not recorded:
                    logger.warning(
                        "delivery %s outlived its claim; another worker had taken it over",
                        claim.delivery_id,
                    )
                done += 1
            if len(claims) < settings.messages_batch_size:
                break
        return done

    return Drain(name="messages.deliver", run=run, every_seconds=2.0)


DELIVER = deliverer()
