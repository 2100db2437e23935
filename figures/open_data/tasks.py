"""The open data's nightly release: worked out once a night, by one worker, for every request of
the next day to answer from (``figures.open_data.models``). A month that ends is in the release of
its following night."""

from __future__ import annotations

from datetime import time

from sqlalchemy.orm import Session

from figures.open_data import service
from kernel.schedule import Counts, Job, JobContext, daily


def publish_open_data(context: JobContext) -> Counts:
    """Work the open data out and store it as the release."""

    def work(session: Session) -> service.Publication:
        return service.make_release(session, context.settings, context.now)

    made = context.transactions(work)
    return {
        "resources": len(made.tables),
        "rows": sum(len(table.rows) for table in made.tables),
        "suppressed": sum(row.suppressed for table in made.tables for row in table.rows),
    }


# After midnight, when the month that ended is whole; a second try an hour later.
PUBLISH_OPEN_DATA = Job(
    "figures.publish_open_data",
    daily(at=time(1, 30)),
    publish_open_data,
    attempts=3,
    backoff_seconds=3600,
)
