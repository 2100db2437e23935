"""The credentials other domains signed with the city's keys that a retired key must not strand
(parking passes): each a ``KeyHolders`` plug-in in its domain's manifest, installed here by the
composition root for the enabled domains (``install``), never by an import."""

from __future__ import annotations

from collections.abc import Sequence

from resident_card.credentials.service import KeyHolders

# Replaced whole by ``install``, never changed in place.
_installed: tuple[KeyHolders, ...] = ()


def install(holders: Sequence[KeyHolders]) -> None:
    """Count and re-issue these holders' credentials, in place of those installed before; the
    same plug-in given twice counts once."""
    global _installed
    once: list[KeyHolders] = []
    for holder in holders:
        if holder not in once:
            once.append(holder)
    _installed = tuple(once)


def installed() -> tuple[KeyHolders, ...]:
    """The holders a key's retirement counts now, in order."""
    return _installed
