"""The eligibility API: clerks run programmes and rules (audited), auditors read, residents see
their benefits with the reasons."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.eligibility.service.decisions import decide
from benefits.eligibility.service.programme_files import load_programmes
from benefits.eligibility.service.programmes import get_programme, retire_programme
from benefits.eligibility.service.rule_versions import list_rule_versions
from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role, User
from resident_card.audit.models import AuditEntry
from resident_card.residents.models import Guardianship, Resident
from tests.factories import auth_headers, create_resident, create_user

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
PROGRAMMES = "/api/v1/admin/programmes"
NEW_PROGRAMME = {
    "code": "sports_pass",
    "names": {"he": "מנוי ספורט", "ar": "اشتراك رياضي", "en": "Sports pass"},
    "descriptions": {"en": "Free entry to the city's pools."},
    "active_from": "2026-01-01",
}
ADULT = {
    "all": [
        {"fact": "residency_status", "op": "==", "value": "verified"},
        {"fact": "age", "op": ">=", "value": 18},
    ]
}


@pytest.fixture(autouse=True)
def _at_a_fixed_time(clock: SetClock) -> None:
    clock.at = NOW


def headers(app: FastAPI, user: User) -> dict[str, str]:
    return auth_headers(app, user, now=datetime.now(UTC))  # tokens are checked on the real clock


@pytest.fixture
def admin(session: Session, settings: Settings, app: FastAPI) -> dict[str, str]:
    return headers(app, create_user(session, settings, role=Role.admin))


@pytest.fixture
def auditor(session: Session, settings: Settings, app: FastAPI) -> dict[str, str]:
    return headers(app, create_user(session, settings, role=Role.auditor))


@pytest.fixture
def loaded(session: Session) -> None:
    load_programmes(session, now=NOW, zone=ZoneInfo("Asia/Jerusalem"))


def resident_with_login(
    session: Session, settings: Settings, app: FastAPI, **overrides: Any
) -> tuple[Resident, dict[str, str]]:
    user = create_user(session, settings, role=Role.resident)
    resident = create_resident(session, settings, user=user, now=NOW, **overrides)
    return resident, headers(app, user)


def audit_actions(session: Session, subject_id: str) -> list[str]:
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.subject_id == subject_id)
            .order_by(AuditEntry.created_at)
        )
    )


# --- programmes -----------------------------------------------------------------------------------


def test_a_clerk_creates_reads_lists_and_retires_a_programme_each_change_audited(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    created = client.post(PROGRAMMES, json=NEW_PROGRAMME, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["code"] == "sports_pass"
    assert body["status"] == "active"
    assert body["active_from"].startswith("2025-12-31T22:00:00")
    assert body["descriptions"] == {"he": "", "ar": "", "en": "Free entry to the city's pools."}

    assert client.get(f"{PROGRAMMES}/sports_pass", headers=admin).json()["code"] == "sports_pass"
    listed = client.get(PROGRAMMES, headers=admin, params={"status": "active"}).json()
    assert [p["code"] for p in listed] == ["sports_pass"]

    retired = client.post(
        f"{PROGRAMMES}/sports_pass/retire", json={"reason": "season over"}, headers=admin
    )
    assert retired.status_code == 200
    assert retired.json()["status"] == "retired"
    assert client.get(PROGRAMMES, headers=admin, params={"status": "active"}).json() == []

    programme_id = str(get_programme(session, "sports_pass").id)
    assert audit_actions(session, programme_id) == ["programme.create", "programme.retire"]
    again = client.post(f"{PROGRAMMES}/sports_pass/retire", json={}, headers=admin)
    assert (again.status_code, again.json()["error"]) == (409, "programme_retired")


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"code": "Sports Pass"}, 422, "validation_error"),
        ({"unit": "EUR"}, 422, "validation_error"),
        ({"allowance": {"amount": 120, "period": "month"}}, 422, "validation_error"),
        ({"role": "admin"}, 422, "validation_error"),
        ({"names": {"he": "א", "en": "b"}}, 422, "validation_error"),
        ({"active_to": "2025-06-01"}, 422, "invalid_period"),
    ],
)
def test_a_bad_programme_is_refused_and_nothing_is_written(
    client: TestClient,
    session: Session,
    admin: dict[str, str],
    change: dict[str, Any],
    status: int,
    error: str,
) -> None:
    response = client.post(PROGRAMMES, json={**NEW_PROGRAMME, **change}, headers=admin)

    assert (response.status_code, response.json()["error"]) == (status, error)
    assert client.get(PROGRAMMES, headers=admin).json() == []


def test_a_second_programme_with_the_same_code_is_a_conflict(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post(PROGRAMMES, json=NEW_PROGRAMME, headers=admin)
    again = client.post(PROGRAMMES, json=NEW_PROGRAMME, headers=admin)
    assert (again.status_code, again.json()["error"]) == (409, "programme_exists")


def test_an_unknown_programme_is_not_found(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get(f"{PROGRAMMES}/no_such_thing", headers=admin)
    assert (response.status_code, response.json()["error"]) == (404, "programme_not_found")
    assert response.json()["detail"] == "There is no programme no_such_thing."


# --- rule versions ---------------------------------------------------------------------------------


def test_a_clerk_adds_reads_lists_and_retires_rule_versions(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    client.post(PROGRAMMES, json=NEW_PROGRAMME, headers=admin)
    rules = f"{PROGRAMMES}/sports_pass/rules"

    first = client.post(rules, json={"rule": ADULT, "effective_from": "2026-01-01"}, headers=admin)
    second = client.post(
        rules,
        json={"rule": ADULT, "effective_from": "2027-01-01T00:00:00+02:00", "note": "same again"},
        headers=admin,
    )

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    listed = client.get(rules, headers=admin).json()
    assert [(v["version"], v["effective_to"]) for v in listed] == [
        (1, "2026-12-31T22:00:00Z"),
        (2, None),
    ]
    assert client.get(f"{rules}/2", headers=admin).json()["note"] == "same again"
    retired = client.post(f"{rules}/2/retire", json={"reason": "not needed"}, headers=admin)
    assert retired.status_code == 200
    assert retired.json()["retired_at"] is not None
    missing = client.get(f"{rules}/7", headers=admin)
    assert (missing.status_code, missing.json()["error"]) == (404, "rule_version_not_found")

    version_ids = [str(v.id) for v in list_rule_versions(session, "sports_pass")]
    assert audit_actions(session, version_ids[0]) == [
        "programme_rule.create",
        "programme_rule.close",
    ]
    assert audit_actions(session, version_ids[1]) == [
        "programme_rule.create",
        "programme_rule.retire",
    ]


@pytest.mark.parametrize(
    ("body", "error", "detail"),
    [
        (
            {"rule": {"all": [ADULT, {"fact": "age", "op": ">=", "value": "65"}]}},
            "invalid_rule",
            "The rule is not valid: all[1].value: expected int",
        ),
        (
            {"rule": {"fact": "shoe_size", "op": ">=", "value": 40}},
            "unknown_fact",
            "The rule is not valid: fact: unknown fact: shoe_size",
        ),
        (
            {"rule": ADULT, "effective_from": "2026-01-01"},
            "rule_overlap",
            "The dates overlap rule version 1 (1 January 2026 – …).",
        ),
        (
            {"rule": ADULT, "effective_from": "2026-03-01", "effective_to": "2026-02-01"},
            "invalid_period",
            "The period is not valid: effective_to must come after effective_from",
        ),
        ({"rule": ADULT, "allow_gaps": True}, "validation_error", None),
        ({"rule": "age >= 18"}, "validation_error", None),
    ],
)
def test_a_bad_rule_version_is_refused_saying_why(
    client: TestClient,
    admin: dict[str, str],
    body: dict[str, Any],
    error: str,
    detail: str | None,
) -> None:
    client.post(PROGRAMMES, json=NEW_PROGRAMME, headers=admin)
    rules = f"{PROGRAMMES}/sports_pass/rules"
    client.post(rules, json={"rule": ADULT, "effective_from": "2026-01-01"}, headers=admin)

    response = client.post(rules, json=body, headers=admin)

    assert (response.status_code, response.json()["error"]) == (422, error)
    if detail is not None:
        assert response.json()["detail"] == detail
    assert len(client.get(rules, headers=admin).json()) == 1


def test_a_gap_is_refused_unless_allowed(client: TestClient, admin: dict[str, str]) -> None:
    client.post(PROGRAMMES, json=NEW_PROGRAMME, headers=admin)
    rules = f"{PROGRAMMES}/sports_pass/rules"
    client.post(
        rules,
        json={"rule": ADULT, "effective_from": "2026-01-01", "effective_to": "2026-06-01"},
        headers=admin,
    )
    later = {"rule": ADULT, "effective_from": "2026-09-01"}

    refused = client.post(rules, json=later, headers={**admin, "Accept-Language": "he"})
    allowed = client.post(rules, json={**later, "allow_gap": True}, headers=admin)

    assert (refused.status_code, refused.json()["error"]) == (422, "rule_gap")
    assert refused.json()["detail"].startswith("בין 1.6.2026 ל־1.9.2026 לא יחול אף כלל.")
    assert allowed.status_code == 201


def test_an_auditor_reads_everything_and_changes_nothing(
    client: TestClient, admin: dict[str, str], auditor: dict[str, str]
) -> None:
    client.post(PROGRAMMES, json=NEW_PROGRAMME, headers=admin)
    rules = f"{PROGRAMMES}/sports_pass/rules"
    client.post(rules, json={"rule": ADULT, "effective_from": "2026-01-01"}, headers=admin)

    for path in (PROGRAMMES, f"{PROGRAMMES}/sports_pass", rules, f"{rules}/1"):
        assert client.get(path, headers=auditor).status_code == 200, path
    assert client.get("/api/v1/admin/decisions", headers=auditor).status_code == 200
    for path, body in (
        (PROGRAMMES, {**NEW_PROGRAMME, "code": "other_pass"}),
        (f"{PROGRAMMES}/sports_pass/retire", {}),
        (rules, {"rule": ADULT}),
        (f"{rules}/1/retire", {}),
    ):
        response = client.post(path, json=body, headers=auditor)
        assert (response.status_code, response.json()["error"]) == (403, "forbidden"), path
    assert len(client.get(PROGRAMMES, headers=admin).json()) == 1
    assert client.get(f"{rules}/1", headers=admin).json()["retired_at"] is None


def test_residents_and_strangers_cannot_reach_the_clerks_api(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    _resident, resident = resident_with_login(session, settings, app)

    assert client.get(PROGRAMMES, headers=resident).status_code == 403
    assert client.post(PROGRAMMES, json=NEW_PROGRAMME, headers=resident).status_code == 403
    assert client.get(PROGRAMMES).status_code == 401


def test_a_clerk_can_try_a_rule_on_made_up_facts(
    client: TestClient, auditor: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/admin/rules/evaluate",
        json={"rule": ADULT, "facts": {"residency_status": "verified", "age": 17}},
        headers=auditor,
    )

    assert response.status_code == 200
    assert response.json()["eligible"] is False
    # A rule without sentences (``says``) gives its reasons in the engine's form.
    expected = [
        "all of 2 conditions (1 met) ✗",
        "residency status verified = verified ✓",
        "age 17 ≥ 18 ✗",
    ]
    assert [r["text"] for r in response.json()["reasons"]] == expected
    assert [r["expression"] for r in response.json()["reasons"]] == expected


# --- the resident's view ---------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_a_resident_sees_every_running_programme_and_why(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    resident, me = resident_with_login(session, settings, app, date_of_birth=date(1990, 3, 1))

    response = client.get("/api/v1/benefits/me", headers=me)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resident_id"] == str(resident.id)
    assert body["language"] == "en"
    benefits = {b["programme"]["code"]: b for b in body["benefits"]}
    assert set(benefits) == {
        "cashback_resident",
        "parking_free_minutes",
        "resident_parking_permit",
        "senior_extra_parking",
    }
    assert benefits["parking_free_minutes"]["eligible"] is True
    assert benefits["parking_free_minutes"]["programme"]["allowance"] == {
        "amount": 120,
        "period": "month",
    }
    senior = benefits["senior_extra_parking"]
    assert senior["eligible"] is False
    assert senior["outcome"] == "not_eligible"
    assert senior["rule_version"] == 1
    assert senior["programme"]["name"] == "Extra parking for seniors and people with disabilities"
    assert [r["expression"] for r in senior["reasons"] if r["kind"] == "compare"] == [
        "residency status verified = verified ✓",
        "age 36 ≥ 67 ✗",
        "disability no = yes ✗",
    ]
    assert [r["text"] for r in senior["reasons"] if r["kind"] == "compare"] == [
        "Your residency has been verified.",
        "Extra parking is for residents aged 67 or over (or with a disability); you are 36.",
        "Extra parking is also for people with a disability, and none is recorded for you.",
    ]
    age = next(r for r in senior["reasons"] if r["fact"] == "age")
    assert age == {
        "path": "all[1].any[0]",
        "kind": "compare",
        "outcome": "fail",
        "text": "Extra parking is for residents aged 67 or over (or with a disability); you are 36.",
        "expression": "age 36 ≥ 67 ✗",
        "fact": "age",
        "op": ">=",
        "value": 67,
        "actual": 36,
    }


@pytest.mark.usefixtures("loaded")
def test_the_reasons_come_in_the_callers_language(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    _resident, me = resident_with_login(session, settings, app, status="pending")

    hebrew = client.get("/api/v1/benefits/me", headers={**me, "Accept-Language": "he"}).json()
    arabic = client.get("/api/v1/benefits/me", headers={**me, "Accept-Language": "ar"}).json()

    permit_he = next(
        b for b in hebrew["benefits"] if b["programme"]["code"] == "resident_parking_permit"
    )
    permit_ar = next(
        b for b in arabic["benefits"] if b["programme"]["code"] == "resident_parking_permit"
    )
    assert permit_he["programme"]["name"] == "תו חניה לתושב"
    assert permit_he["reasons"][1]["expression"] == "סטטוס תושבות ממתין לאימות = מאומת ✗"
    assert permit_ar["reasons"][1]["expression"] == "حالة الإقامة بانتظار التحقق = موثَّق ✗"
    assert permit_he["reasons"][1]["text"] == (
        "תו חניה ניתן רק לתושבים שתושבותם אומתה; סטטוס התושבות שלכם: ממתין לאימות."
    )
    assert permit_ar["reasons"][1]["text"] == (
        "تصريح الوقوف مخصّص فقط للمقيمين الذين تم التحقق من إقامتهم؛ حالة إقامتكم: بانتظار التحقق."
    )


@pytest.mark.usefixtures("loaded")
def test_a_retired_programme_is_no_longer_listed(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    _resident, me = resident_with_login(session, settings, app)
    retire_programme(session, "cashback_resident", actor_id=None, now=NOW)

    codes = [
        b["programme"]["code"]
        for b in client.get("/api/v1/benefits/me", headers=me).json()["benefits"]
    ]

    assert "cashback_resident" not in codes
    assert len(codes) == 3


def test_a_signed_in_user_without_a_resident_record_is_told_so(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    user = create_user(session, settings, role=Role.resident)

    response = client.get("/api/v1/benefits/me", headers=headers(app, user))

    assert (response.status_code, response.json()["error"]) == (404, "no_resident_record")
    assert client.get("/api/v1/benefits/me").status_code == 401


@pytest.mark.usefixtures("loaded")
def test_a_guardian_sees_a_wards_benefits_and_nobody_elses(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    guardian, me = resident_with_login(session, settings, app)
    ward = create_resident(session, settings, now=NOW, date_of_birth=date(2015, 5, 5))
    session.add(Guardianship(guardian_id=guardian.id, ward_id=ward.id, relation="child"))
    session.flush()
    stranger = create_resident(session, settings, now=NOW)

    mine = client.get("/api/v1/benefits/me", params={"resident_id": str(ward.id)}, headers=me)
    theirs = client.get("/api/v1/benefits/me", params={"resident_id": str(stranger.id)}, headers=me)

    assert mine.status_code == 200, mine.text
    cashback = next(
        b for b in mine.json()["benefits"] if b["programme"]["code"] == "cashback_resident"
    )
    assert cashback["eligible"] is False
    assert "Cashback starts at age 16; you are 11." in [r["text"] for r in cashback["reasons"]]
    assert (theirs.status_code, theirs.json()["error"]) == (404, "resident_not_found")


# --- stored decisions -----------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_decisions_are_read_by_their_resident_and_by_staff_and_by_nobody_else(
    client: TestClient,
    session: Session,
    settings: Settings,
    app: FastAPI,
    admin: dict[str, str],
    auditor: dict[str, str],
) -> None:
    resident, me = resident_with_login(session, settings, app)
    _other, someone_else = resident_with_login(session, settings, app)
    decision = decide(
        session,
        programme_code="cashback_resident",
        resident_id=resident.id,
        facts={"residency_status": "verified", "age": 15},
        now=NOW,
    )
    decide(
        session,
        programme_code="resident_parking_permit",
        resident_id=resident.id,
        facts={"residency_status": "verified"},
        now=NOW,
    )

    own = client.get("/api/v1/benefits/me/decisions", headers=me).json()
    filtered = client.get(
        "/api/v1/admin/decisions",
        params={"resident_id": str(resident.id), "programme": "cashback_resident"},
        headers=auditor,
    ).json()
    one = client.get(f"/api/v1/benefits/me/decisions/{decision.id}", headers=me)
    not_theirs = client.get(f"/api/v1/benefits/me/decisions/{decision.id}", headers=someone_else)

    assert sorted(d["programme"] for d in own) == ["cashback_resident", "resident_parking_permit"]
    assert [d["id"] for d in filtered] == [str(decision.id)]
    assert filtered[0]["facts"] == {"residency_status": "verified", "age": 15}
    assert filtered[0]["rule_version"] == 1
    assert filtered[0]["reference"] == f"decision:{decision.id}"
    assert one.status_code == 200
    assert one.json()["outcome"] == "not_eligible"
    assert "Cashback starts at age 16; you are 15." in [r["text"] for r in one.json()["reasons"]]
    assert "age 15 ≥ 16 ✗" in [r["expression"] for r in one.json()["reasons"]]
    assert (not_theirs.status_code, not_theirs.json()["error"]) == (404, "decision_not_found")
    assert client.get("/api/v1/benefits/me/decisions", headers=someone_else).json() == []
    staff_read = client.get(f"/api/v1/admin/decisions/{decision.id}", headers=admin)
    assert staff_read.status_code == 200
    unknown = client.get(f"/api/v1/admin/decisions/{uuid.uuid4()}", headers=admin)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "decision_not_found")
    assert client.get("/api/v1/admin/decisions", headers=me).status_code == 403
