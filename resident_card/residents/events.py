"""What other domains do when a resident changes: verified, moved, their household changed.

``benefits`` sits above ``resident_card`` and re-evaluates what a resident is owed when they
change; the card cannot import it. Each such domain lists a ``ResidentChanges`` plug-in in its
manifest, and the composition root installs the enabled domains' plug-ins here. The residents'
service calls ``announce`` in the transaction that makes the change, so what follows from it
(the month's free minutes granted) commits with it, or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session


class Change(StrEnum):
    verified = "verified"  # residency verified by a clerk or the registry
    refused = "refused"  # residency refused
    moved = "moved"  # a new address
    household = "household"  # joined or left a household, a ward added or removed


@dataclass(frozen=True)
class ResidentChanges:
    """A domain's answer to residents that changed: ``changed(session, resident_ids, change,
    now)``, in the transaction that changed them."""

    changed: Callable[[Session, Sequence[uuid.UUID], Change, datetime], None]


# Replaced whole by ``install``, never changed in place.
_installed: tuple[ResidentChanges, ...] = ()


def install(plug_ins: Sequence[ResidentChanges]) -> None:
    global _installed
    _installed = tuple(dict.fromkeys(plug_ins))


def announce(
    session: Session, resident_ids: Sequence[uuid.UUID], change: Change, now: datetime
) -> None:
    """Tell every installed domain that these residents changed."""
    if not resident_ids:
        return
    for plug_in in _installed:
        plug_in.changed(session, resident_ids, change, now)
