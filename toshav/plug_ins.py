"""Installing the domains' plug-ins: each domain's contributions to registries other domains own,
from the manifests of the domains a deployment turns on.

Each registry belongs to the domain that reads it and is filled only here, explicitly, before the
app serves or a command runs; installing replaces whatever was installed before, so a process can
be set up again with other domains (the test suite builds apps with different ``TOSHAV_MODULES``).

- ``benefits.eligibility``: ``Facts``, the facts rules may name and their source;
- ``resident_card.cards.summary``: ``CardLines``, the wallet's lines and a merchant's programmes;
- ``resident_card.credentials.holders``: ``KeyHolders``, credentials a retired key must not strand;
- ``resident_card.residents.events``: ``ResidentChanges``, what follows a resident's change;
- ``resident_card.requests.sources``: ``RequestSource``, a person's requests of each kind;
- ``resident_card.rights.sections``: ``ExportSection`` and ``ErasureStep``, each domain's part of a
  person's file and of their erasure;
- ``kernel.notices``: ``NoticeBox``, the one outbox every notice is posted to;
- ``figures.open_data.sources``: ``OpenDataSource``, the measures the open data publishes;
- ``jobs.timetable``: every enabled domain's jobs and drains (``Manifest.jobs``).
"""

from __future__ import annotations

from collections.abc import Sequence

from benefits.eligibility.service import facts
from benefits.eligibility.service.facts import Facts
from figures.open_data import sources as open_data
from figures.open_data.sources import OpenDataSource
from jobs import timetable
from kernel import notices
from kernel.manifest import Manifest
from kernel.notices import NoticeBox
from resident_card.cards import summary
from resident_card.cards.summary import CardLines
from resident_card.credentials import holders
from resident_card.credentials.service import KeyHolders
from resident_card.requests import sources
from resident_card.requests.sources import RequestSource
from resident_card.residents import events
from resident_card.residents.events import ResidentChanges
from resident_card.rights import sections as rights
from resident_card.rights.sections import ErasureStep, ExportSection
from toshav.domains import EVERY

PlugIn = (
    Facts
    | CardLines
    | KeyHolders
    | ResidentChanges
    | RequestSource
    | NoticeBox
    | OpenDataSource
    | ExportSection
    | ErasureStep
)
PLUG_IN_TYPES = (
    Facts,
    CardLines,
    KeyHolders,
    ResidentChanges,
    RequestSource,
    NoticeBox,
    OpenDataSource,
    ExportSection,
    ErasureStep,
)


def _plug_ins(manifests: Sequence[Manifest]) -> list[PlugIn]:
    found: list[PlugIn] = []
    for manifest in manifests:
        for plug_in in manifest.plug_ins:
            if not isinstance(plug_in, PLUG_IN_TYPES):
                raise TypeError(f"{manifest.name}: {plug_in!r} fits no registry")
            found.append(plug_in)
    return found


def install(manifests: Sequence[Manifest]) -> None:
    """Install these domains' plug-ins in every registry, in the manifests' order, in place of
    what was there. The other domains' facts are installed as switched off: a programme file that
    names one is set aside, not refused."""
    on = _plug_ins(manifests)
    off = _plug_ins([manifest for manifest in EVERY if manifest not in manifests])
    facts.install(
        [p for p in on if isinstance(p, Facts)], off=[p for p in off if isinstance(p, Facts)]
    )
    summary.install([p for p in on if isinstance(p, CardLines)])
    holders.install([p for p in on if isinstance(p, KeyHolders)])
    events.install([p for p in on if isinstance(p, ResidentChanges)])
    sources.install([p for p in on if isinstance(p, RequestSource)])
    rights.install(
        [p for p in on if isinstance(p, ExportSection)],
        [p for p in on if isinstance(p, ErasureStep)],
    )
    open_data.install([p for p in on if isinstance(p, OpenDataSource)])
    boxes = [p for p in on if isinstance(p, NoticeBox)]
    if len(boxes) > 1:
        raise TypeError("notices go to one outbox; more than one domain offers one")
    notices.install(boxes[0] if boxes else None)
    timetable.install([timetable.Entry(m.name, work) for m in manifests for work in m.jobs])
