"""The residents' work that runs by itself: telling the holder of a registered identity that an
enrolment claims it."""

from __future__ import annotations

from kernel.schedule import Drain, JobContext
from resident_card.residents.service import claims


def tell_holders(context: JobContext) -> int:
    """Tell the holders of newly claimed identities, a batch per transaction, until none is left
    untold; how many were told."""
    told = 0
    while True:
        batch = context.transactions(lambda session: claims.tell_holders(session, now=context.now))
        told += batch
        if batch == 0:
            return told


TELL_HOLDERS = Drain(name="residents.tell_holders", run=tell_holders, every_seconds=2.0)
