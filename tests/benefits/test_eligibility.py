"""Programmes, dated rule versions and stored decisions, through the service, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import (
    InvalidPeriod,
    InvalidRule,
    ProgrammeExists,
    ProgrammeNotFound,
    ProgrammeRetired,
    RuleGap,
    RuleOverlap,
    RuleVersionNotFound,
    RuleVersionRetired,
    UnknownFact,
)
from benefits.eligibility.models import Decision, Programme, RuleVersion
from benefits.eligibility.schemas import ProgrammeCreate, RuleVersionCreate
from benefits.eligibility.service.allowances import parse_period
from benefits.eligibility.service.decisions import decide, is_eligible, list_decisions
from benefits.eligibility.service.programme_files import (
    PROGRAMMES_FOLDER,
    ProgrammeFileError,
    load_programmes,
)
from benefits.eligibility.service.programmes import (
    create_programme,
    get_programme,
    retire_programme,
    running_programmes,
)
from benefits.eligibility.service.rule_versions import (
    create_rule_version,
    list_rule_versions,
    retire_rule_version,
    rule_version_at,
)
from resident_card.audit.models import AuditEntry

ZONE = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
VERIFIED = {"fact": "residency_status", "op": "==", "value": "verified"}
ADULT = {"all": [VERIFIED, {"fact": "age", "op": ">=", "value": 18}]}
SENIOR = {"all": [VERIFIED, {"fact": "age", "op": ">=", "value": 67}]}


def programme(session: Session, code: str = "test_programme", **overrides: Any) -> Programme:
    values: dict[str, Any] = {
        "code": code,
        "names": {"he": "תוכנית", "ar": "برنامج", "en": "Programme"},
        "active_from": date(2026, 1, 1),
    }
    values.update(overrides)
    return create_programme(
        session, ProgrammeCreate.model_validate(values), actor_id=None, now=NOW, zone=ZONE
    )


def version(
    session: Session,
    rule: dict[str, Any],
    start: date | datetime | None,
    end: date | datetime | None = None,
    *,
    code: str = "test_programme",
    allow_gap: bool = False,
    now: datetime = NOW,
) -> RuleVersion:
    return create_rule_version(
        session,
        code,
        RuleVersionCreate(rule=rule, effective_from=start, effective_to=end, allow_gap=allow_gap),
        actor_id=None,
        now=now,
        zone=ZONE,
    )


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZONE).astimezone(UTC)


def ranges(session: Session) -> list[tuple[int, datetime, datetime | None]]:
    return [
        (v.version, v.effective_from, v.effective_to)
        for v in list_rule_versions(session, "test_programme")
    ]


# --- programmes -----------------------------------------------------------------------------------


def test_a_programme_is_created_with_its_dates_on_the_city_clock_and_audited(
    session: Session,
) -> None:
    made = programme(
        session,
        unit="PARKING_MIN",
        allowance={"amount": 120, "period": "month"},
        active_to=date(2027, 1, 1),
    )

    assert made.active_from == datetime(2025, 12, 31, 22, 0, tzinfo=UTC)  # midnight in Jerusalem
    assert made.active_to == datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    assert (made.unit, made.allowance_amount, made.allowance_period) == (
        "PARKING_MIN",
        120,
        "month",
    )
    assert get_programme(session, "test_programme").id == made.id
    entry = session.scalars(select(AuditEntry).where(AuditEntry.subject_id == str(made.id))).one()
    assert entry.action == "programme.create"
    assert entry.after is not None
    assert entry.after["code"] == "test_programme"


def test_codes_are_unique_and_unknown_codes_are_not_found(session: Session) -> None:
    programme(session)
    with pytest.raises(ProgrammeExists):
        programme(session)
    with pytest.raises(ProgrammeNotFound):
        get_programme(session, "nothing_here")


def test_a_programme_ending_before_it_begins_is_refused(session: Session) -> None:
    with pytest.raises(InvalidPeriod):
        programme(session, active_from=date(2026, 5, 1), active_to=date(2026, 5, 1))


def test_a_retired_programme_decides_nobody_eligible_and_takes_no_new_rule(
    session: Session,
) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1))
    retire_programme(session, "test_programme", actor_id=None, now=NOW, reason="ended")

    decision = decide(
        session,
        programme_code="test_programme",
        resident_id=uuid.uuid4(),
        facts={"residency_status": "verified"},
        now=NOW + timedelta(minutes=1),
    )

    assert not decision.eligible
    assert decision.reason_list()[0].text["en"] == "the programme is not running at this time ✗"
    assert decision.rule_version_id is None
    with pytest.raises(ProgrammeRetired):
        version(session, ADULT, date(2027, 1, 1))
    with pytest.raises(ProgrammeRetired):
        retire_programme(session, "test_programme", actor_id=None, now=NOW)
    assert [p.code for p in running_programmes(session, now=NOW)] == []


# --- rule versions ---------------------------------------------------------------------------------


def test_a_new_version_closes_the_open_one_at_its_start(session: Session) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1))
    version(session, ADULT, date(2026, 7, 1))
    version(session, SENIOR, date(2027, 1, 1))

    assert ranges(session) == [
        (1, midnight(date(2026, 1, 1)), midnight(date(2026, 7, 1))),
        (2, midnight(date(2026, 7, 1)), midnight(date(2027, 1, 1))),
        (3, midnight(date(2027, 1, 1)), None),
    ]
    closes = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("programme_rule.%"))
    ).all()
    assert sorted(closes) == ["programme_rule.close"] * 2 + ["programme_rule.create"] * 3


def test_the_version_in_force_is_found_at_any_moment(session: Session) -> None:
    made = programme(session)
    version(session, VERIFIED, date(2026, 1, 1))
    version(session, ADULT, date(2026, 7, 1))

    def at(moment: datetime) -> int | None:
        found = rule_version_at(session, made, moment)
        return found.version if found is not None else None

    first_of_july = midnight(date(2026, 7, 1))
    assert at(midnight(date(2025, 12, 31))) is None
    assert at(midnight(date(2026, 1, 1))) == 1
    assert at(first_of_july - timedelta(microseconds=1)) == 1
    assert at(first_of_july) == 2
    assert at(datetime(2040, 1, 1, tzinfo=UTC)) == 2
    assert rule_version_at(session, "test_programme", first_of_july) is not None


def test_a_version_without_a_start_starts_now(session: Session) -> None:
    programme(session)
    made = version(session, VERIFIED, None)
    assert made.effective_from == NOW


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2026, 1, 1), None),  # the same start as the open version
        (date(2025, 6, 1), None),  # open-ended, before the open version: it would run over it
        (date(2025, 6, 1), date(2026, 2, 1)),  # an explicit range reaching into it
    ],
)
def test_overlapping_an_existing_version_is_refused(
    session: Session, start: date, end: date | None
) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1))

    with pytest.raises(RuleOverlap) as raised:
        version(session, ADULT, start, end)

    assert raised.value.code == "rule_overlap"
    assert raised.value.detail("en") == "The dates overlap rule version 1 (1 January 2026 – …)."
    assert len(ranges(session)) == 1


def test_overlapping_a_closed_version_is_refused(session: Session) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1), date(2026, 6, 1))
    with pytest.raises(RuleOverlap):
        version(session, ADULT, date(2026, 3, 1), date(2026, 6, 1), allow_gap=True)


def test_a_gap_is_refused_unless_the_clerk_means_it(session: Session) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1), date(2026, 6, 1))

    with pytest.raises(RuleGap) as raised:
        version(session, ADULT, date(2026, 7, 1))
    assert raised.value.detail("en").startswith(
        "No rule would apply between 1 June 2026 and 1 July 2026."
    )

    version(session, ADULT, date(2026, 7, 1), allow_gap=True)
    assert rule_version_at(session, "test_programme", midnight(date(2026, 6, 15))) is None


def test_a_version_filling_a_hole_must_meet_the_next_one(session: Session) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1), date(2026, 3, 1))
    version(session, SENIOR, date(2026, 6, 1), allow_gap=True)

    with pytest.raises(RuleGap):
        version(session, ADULT, date(2026, 3, 1), date(2026, 5, 1))
    version(session, ADULT, date(2026, 3, 1), date(2026, 6, 1))

    assert [v for v, _, _ in ranges(session)] == [1, 3, 2]


def test_a_version_must_end_after_it_starts(session: Session) -> None:
    programme(session)
    with pytest.raises(InvalidPeriod):
        version(session, VERIFIED, date(2026, 3, 1), date(2026, 3, 1))


def test_a_bad_rule_or_an_unknown_fact_is_refused_before_anything_is_written(
    session: Session,
) -> None:
    programme(session)
    with pytest.raises(InvalidRule) as raised:
        version(session, {"all": [VERIFIED, {"fact": "age", "op": ">=", "value": "x"}]}, None)
    assert raised.value.problem.describe("en") == "all[1].value: expected int"
    with pytest.raises(UnknownFact):
        version(session, {"fact": "parking_zone_typo", "op": "==", "value": "A"}, None)
    assert ranges(session) == []


def test_retiring_the_current_version_stops_it_now_and_keeps_its_past(session: Session) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1))

    retired = retire_rule_version(
        session, "test_programme", 1, actor_id=None, now=NOW, reason="mistake"
    )

    assert retired.effective_to == NOW
    assert retired.retired_at == NOW
    assert rule_version_at(session, "test_programme", NOW - timedelta(days=1)) is not None
    assert rule_version_at(session, "test_programme", NOW) is None
    with pytest.raises(RuleVersionRetired):
        retire_rule_version(session, "test_programme", 1, actor_id=None, now=NOW)
    with pytest.raises(RuleVersionNotFound):
        retire_rule_version(session, "test_programme", 9, actor_id=None, now=NOW)


def test_a_future_version_retired_before_it_starts_never_applies(session: Session) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1))
    version(session, SENIOR, date(2027, 1, 1))

    retire_rule_version(session, "test_programme", 2, actor_id=None, now=NOW)

    future = datetime(2027, 6, 1, tzinfo=UTC)
    assert rule_version_at(session, "test_programme", future) is None
    # Its (empty) range blocks nothing: a corrected version can take its place.
    version(session, ADULT, date(2027, 1, 1))
    found = rule_version_at(session, "test_programme", future)
    assert found is not None
    assert found.version == 3


# --- decisions -----------------------------------------------------------------------------------


def test_a_decision_is_stored_with_the_facts_used_the_version_and_the_reasons(
    session: Session,
) -> None:
    programme(session)
    first = version(session, VERIFIED, date(2026, 1, 1))
    resident_id = uuid.uuid4()

    decision = decide(
        session,
        programme_code="test_programme",
        resident_id=resident_id,
        facts={"residency_status": "verified", "age": 44, "neighbourhood": "carmel"},
        now=NOW,
    )

    session.expire_all()
    stored = session.get(Decision, decision.id)
    assert stored is not None
    assert stored.eligible
    assert stored.outcome == "eligible"
    assert stored.rule_version_id == first.id
    assert stored.resident_id == resident_id
    assert stored.facts == {"residency_status": "verified"}
    assert stored.decided_at == NOW
    assert stored.reasons[0]["text"]["en"] == "residency status verified = verified ✓"
    assert stored.reference == f"decision:{decision.id}"


def test_a_decision_months_later_still_names_the_rule_it_was_made_under(session: Session) -> None:
    programme(session)
    first = version(session, ADULT, date(2026, 1, 1))
    resident_id = uuid.uuid4()
    facts = {"residency_status": "verified", "age": 30}
    march = midnight(date(2026, 3, 1))
    given = decide(
        session, programme_code="test_programme", resident_id=resident_id, facts=facts, now=march
    )
    version(session, SENIOR, date(2026, 7, 1), now=march)
    refused = decide(
        session, programme_code="test_programme", resident_id=resident_id, facts=facts, now=NOW
    )

    assert given.eligible
    assert given.rule_version_id == first.id
    assert not refused.eligible
    assert [r.text["en"] for r in refused.reason_list() if r.outcome == "fail"] == [
        "all of 2 conditions (1 met) ✗",
        "age 30 ≥ 67 ✗",
    ]
    history = list_decisions(session, resident_id=resident_id, programme_code="test_programme")
    assert [d.id for d in history] == [refused.id, given.id]


def test_with_no_rule_in_force_nobody_is_eligible_and_the_reason_says_so(
    session: Session,
) -> None:
    programme(session)
    decision = decide(
        session,
        programme_code="test_programme",
        resident_id=uuid.uuid4(),
        facts={"residency_status": "verified"},
        now=NOW,
    )
    assert not decision.eligible
    assert decision.reason_list()[0].text["en"] == "no eligibility rule is in force at this time ✗"


def test_is_eligible_stores_nothing_unless_asked(session: Session) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1))
    resident_id = uuid.uuid4()

    def count() -> int:
        return session.scalar(select(func.count()).select_from(Decision)) or 0

    before = count()
    assert is_eligible(
        session,
        programme_code="test_programme",
        resident_id=resident_id,
        facts={"residency_status": "verified"},
        now=NOW,
    )
    assert not is_eligible(
        session,
        programme_code="test_programme",
        resident_id=resident_id,
        facts={"residency_status": "pending"},
        now=NOW,
    )
    assert count() == before
    decide(
        session,
        programme_code="test_programme",
        resident_id=resident_id,
        facts={},
        now=NOW,
        record=False,
    )
    assert count() == before


def test_a_stored_decision_cannot_be_changed_or_deleted(session: Session) -> None:
    programme(session)
    version(session, VERIFIED, date(2026, 1, 1))
    decision = decide(
        session,
        programme_code="test_programme",
        resident_id=uuid.uuid4(),
        facts={"residency_status": "pending"},
        now=NOW,
    )

    for statement in (
        update(Decision).where(Decision.id == decision.id).values(outcome="eligible"),
        delete(Decision).where(Decision.id == decision.id),
    ):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(statement.execution_options(synchronize_session=False))
        savepoint.rollback()


# --- the programme files --------------------------------------------------------------------------


def test_loading_the_shipped_programmes_twice_changes_nothing_the_second_time(
    session: Session,
) -> None:
    first = load_programmes(session, now=NOW, zone=ZONE)
    second = load_programmes(session, now=NOW, zone=ZONE)

    assert sorted(first.programmes_created) == [
        "cashback_resident",
        "parking_free_minutes",
        "resident_parking_permit",
        "senior_extra_parking",
    ]
    assert len(first.versions_created) == 4
    assert second.programmes_created == []
    assert second.versions_created == []
    assert sorted(second.unchanged) == sorted(first.programmes_created)
    senior = get_programme(session, "senior_extra_parking")
    assert (senior.unit, senior.allowance_amount) == ("PARKING_MIN", 240)
    decision = decide(
        session,
        programme_code="senior_extra_parking",
        resident_id=uuid.uuid4(),
        facts={"residency_status": "verified", "age": 40, "disability": True},
        now=NOW,
    )
    assert decision.eligible


def test_loading_adds_a_version_a_file_gained_and_keeps_what_the_city_changed(
    session: Session, tmp_path: Path
) -> None:
    source = (PROGRAMMES_FOLDER / "cashback_resident.yaml").read_text(encoding="utf-8")
    (tmp_path / "cashback_resident.yaml").write_text(source, encoding="utf-8")
    load_programmes(session, tmp_path, now=NOW, zone=ZONE)
    (tmp_path / "cashback_resident.yaml").write_text(
        source
        + "  - effective_from: 2027-01-01\n"
        + "    rule: {all: [{fact: residency_status, op: '==', value: verified},"
        + " {fact: age, op: '>=', value: 18}]}\n",
        encoding="utf-8",
    )

    report = load_programmes(session, tmp_path, now=NOW, zone=ZONE)

    assert report.versions_created == ["cashback_resident v2"]
    versions = list_rule_versions(session, "cashback_resident")
    assert versions[0].effective_to == versions[1].effective_from


def test_a_broken_programme_file_is_refused_naming_it(session: Session, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "code: bad_one\nnames: {he: א, ar: ب, en: c}\nactive_from: 2026-01-01\n"
        "rules: [{effective_from: 2026-01-01, rule: {fact: age, op: '>=', value: old}}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ProgrammeFileError, match=r"bad.yaml: rules\[0\]\.rule: value"):
        load_programmes(session, tmp_path, now=NOW, zone=ZONE)


def test_a_month_is_read_on_the_city_calendar() -> None:
    december = parse_period("2026-12", ZONE)
    july = parse_period("2026-07", ZONE)

    assert december.start == datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    assert december.end == datetime(2026, 12, 31, 22, 0, tzinfo=UTC)
    assert july.start == datetime(2026, 6, 30, 21, 0, tzinfo=UTC)  # summer time
    for bad in ("2026-13", "2026-1", "December", "1999-12", ""):
        with pytest.raises(InvalidPeriod):
            parse_period(bad, ZONE)
