"""A programme's dated rule versions: added without overlap (or an unmeant gap), withdrawn, and
found by the moment they are in force.

A rule version is in force from its start up to (not including) its end; ``None`` as an end means
open-ended.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import (
    InvalidPeriod,
    ProgrammeNotFound,
    ProgrammeRetired,
    RuleGap,
    RuleOverlap,
    RuleVersionNotFound,
    RuleVersionRetired,
)
from benefits.eligibility.models import Programme, ProgrammeStatus, RuleVersion
from benefits.eligibility.repository import ProgrammeRepository, RuleVersionRepository
from benefits.eligibility.rules.parsing import check_rule
from benefits.eligibility.rules.wording import without_words
from benefits.eligibility.schemas import RuleVersionCreate
from benefits.eligibility.service import follow_ups
from benefits.eligibility.service.city_clock import city_zone, show_moment, to_moment
from benefits.eligibility.service.programmes import get_programme
from resident_card.audit import service as audit


def _version_snapshot(programme: Programme, version: RuleVersion) -> dict[str, Any]:
    return {
        "programme": programme.code,
        "version": version.version,
        "rule": version.rule,
        "effective_from": version.effective_from.isoformat(),
        "effective_to": version.effective_to.isoformat() if version.effective_to else None,
        "retired_at": version.retired_at.isoformat() if version.retired_at else None,
    }


def _overlaps(
    start: datetime, end: datetime | None, other_start: datetime, other_end: datetime | None
) -> bool:
    return (end is None or other_start < end) and (other_end is None or start < other_end)


def create_rule_version(
    session: Session,
    code: str,
    data: RuleVersionCreate,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    zone: ZoneInfo | None = None,
) -> RuleVersion:
    """Add a rule version. The version open at its start is closed there; any other overlap is
    ``rule_overlap``; a gap before it (or after it, when it ends) is ``rule_gap`` unless allowed.
    A version in force now credits at once the current period's allowance it makes residents
    eligible for (``follow_ups.rule_published``)."""
    zone = city_zone(zone)
    programmes = ProgrammeRepository(session)
    programme = programmes.by_code_for_update(code)  # one change to a programme's rules at a time
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    if programme.status == ProgrammeStatus.retired:
        raise ProgrammeRetired(programme=code)
    check_rule(data.rule)
    start = to_moment(data.effective_from, zone) if data.effective_from is not None else now
    end = to_moment(data.effective_to, zone) if data.effective_to is not None else None
    if end is not None and end <= start:
        raise InvalidPeriod(problem="effective_to must come after effective_from")

    repository = RuleVersionRepository(session)
    existing = list(repository.non_empty(programme.id))
    to_close = next(
        (v for v in existing if v.effective_to is None and v.effective_from < start), None
    )

    def end_of(version: RuleVersion) -> datetime | None:
        return start if version is to_close else version.effective_to

    for version in existing:
        if _overlaps(start, end, version.effective_from, end_of(version)):
            raise RuleOverlap(
                version=version.version,
                start=show_moment(version.effective_from, zone),
                end=show_moment(version.effective_to, zone),
            )
    if not data.allow_gap:
        before = [v for v in existing if v.effective_from < start]
        if before:
            previous_end = end_of(before[-1])
            if previous_end is not None and previous_end < start:
                raise RuleGap(start=show_moment(previous_end, zone), end=show_moment(start, zone))
        if end is not None:
            after = [v for v in existing if v.effective_from >= end]
            if after and after[0].effective_from > end:
                raise RuleGap(
                    start=show_moment(end, zone), end=show_moment(after[0].effective_from, zone)
                )

    if to_close is not None:
        closed_before = _version_snapshot(programme, to_close)
        to_close.effective_to = start
        session.flush()
        audit.record(
            session,
            actor_id=actor_id,
            action="programme_rule.close",
            subject_type="programme_rule_version",
            subject_id=to_close.id,
            before=closed_before,
            after=_version_snapshot(programme, to_close),
        )
    version = repository.add(
        RuleVersion(
            programme_id=programme.id,
            version=repository.newest_number(programme.id) + 1,
            rule=data.rule,
            effective_from=start,
            effective_to=end,
            note=data.note or None,
            created_at=now,
        )
    )
    audit.record(
        session,
        actor_id=actor_id,
        action="programme_rule.create",
        subject_type="programme_rule_version",
        subject_id=version.id,
        after=_version_snapshot(programme, version),
        reason=data.note or None,
    )
    # In force now: the residents it concerns are judged under it at once.
    follow_ups.rule_published(session, programme, version, now=now, zone=zone)
    return version


def reword_rule_version(
    session: Session,
    programme: Programme,
    version: RuleVersion,
    rule: dict[str, Any],
    *,
    actor_id: uuid.UUID | None,
) -> bool:
    """Give a rule version the sentences of ``rule`` when the two decide alike and only their
    words differ (a programme file worded after it was loaded). What it decides never changes
    here, and decisions already made keep the words they were given (decision record 0008).
    Whether it was reworded."""
    if version.is_retired or version.rule == rule:
        return False
    if without_words(version.rule) != without_words(rule):
        return False
    check_rule(rule)
    before = _version_snapshot(programme, version)
    version.rule = rule
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="programme_rule.reword",
        subject_type="programme_rule_version",
        subject_id=version.id,
        before=before,
        after=_version_snapshot(programme, version),
    )
    return True


def list_rule_versions(session: Session, code: str) -> Sequence[RuleVersion]:
    return RuleVersionRepository(session).of(get_programme(session, code).id)


def get_rule_version(session: Session, code: str, version: int) -> RuleVersion:
    programme = get_programme(session, code)
    found = RuleVersionRepository(session).by_number(programme.id, version)
    if found is None:
        raise RuleVersionNotFound(programme=code, version=version)
    return found


def retire_rule_version(
    session: Session,
    code: str,
    version: int,
    *,
    actor_id: uuid.UUID | None,
    now: datetime,
    reason: str = "",
) -> RuleVersion:
    """Withdraw a rule version: it stops now (one that had not begun never applies). The decisions
    made under it keep pointing at it; nothing takes its place unless a new version is added."""
    programme = ProgrammeRepository(session).by_code_for_update(code)
    if programme is None:
        raise ProgrammeNotFound(programme=code)
    found = RuleVersionRepository(session).by_number(programme.id, version)
    if found is None:
        raise RuleVersionNotFound(programme=code, version=version)
    if found.retired_at is not None:
        raise RuleVersionRetired(version=version)
    before = _version_snapshot(programme, found)
    stop = now if found.effective_to is None else min(found.effective_to, now)
    found.effective_to = max(found.effective_from, stop)
    found.retired_at = now
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="programme_rule.retire",
        subject_type="programme_rule_version",
        subject_id=found.id,
        before=before,
        after=_version_snapshot(programme, found),
        reason=reason or None,
    )
    return found


def rule_version_at(
    session: Session, programme: Programme | str, at: datetime
) -> RuleVersion | None:
    """The rule version in force at a moment, or ``None`` when no rule applies then."""
    if isinstance(programme, str):
        programme = get_programme(session, programme)
    return RuleVersionRepository(session).at(programme.id, at)
