"""Reasons in plain words: each condition of the shipped programmes says, in he, ar and en, how it
went for the resident, with their values filled in; the engine's form stays beside it as
``expression``; a decision keeps the words it was decided with; ``toshav rules test`` insists on
every sentence and ``toshav rules load`` refuses a sentence the condition cannot fill."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import InvalidRule
from benefits.eligibility.models import Decision
from benefits.eligibility.rules.evaluation import Reason, evaluate
from benefits.eligibility.service.decisions import decide
from benefits.eligibility.service.programme_files import (
    PROGRAMMES_FOLDER,
    ProgrammeFileError,
    load_programmes,
    read_programme_file,
)
from benefits.eligibility.service.programmes import get_programme
from benefits.eligibility.service.rule_versions import list_rule_versions, reword_rule_version
from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from resident_card.audit.models import AuditEntry
from tests.conftest import FreshDatabase
from tests.factories import auth_headers, create_resident, create_user
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

NOW = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Jerusalem")
PERMIT = "resident_parking_permit"
SENIOR = "senior_extra_parking"
AT_THE_CAP = {
    "residency_status": "verified",
    "parking_zone": "carmel",
    "vehicle_in_household": True,
    "household_parking_permits": 2,
}


@pytest.fixture(autouse=True)
def _at_a_fixed_time(clock: SetClock) -> None:
    clock.at = NOW


def compared(decision: Decision, fact: str) -> Reason:
    return next(reason for reason in decision.reason_list() if reason.fact == fact)


def stored(session: Session, decision: Decision) -> Decision:
    """The decision as read back from the database."""
    session.flush()
    session.expire_all()
    return session.scalars(select(Decision).where(Decision.id == decision.id)).one()


# --- a decision says why in plain words --------------------------------------------------------------


def test_a_refused_permit_says_the_household_limit_in_three_languages(session: Session) -> None:
    load_programmes(session, now=NOW, zone=ZONE)

    refused = decide(
        session, programme_code=PERMIT, resident_id=uuid.uuid4(), facts=AT_THE_CAP, now=NOW
    )

    reason = compared(stored(session, refused), "household_parking_permits")
    assert (refused.eligible, reason.outcome) == (False, "fail")
    assert reason.text == {
        "he": "משק בית יכול להחזיק 2 תווים; שלכם מחזיק כבר 2.",
        "ar": "عدد التصاريح المسموح به لكل أسرة هو 2، ولدى أسرتكم 2 بالفعل.",
        "en": "A household may hold 2 permits; yours holds 2 already.",
    }
    assert reason.expressed["en"] == "household parking permits in force 2 < 2 ✗"
    assert (reason.value, reason.actual) == (2, 2)


def test_a_refused_senior_benefit_says_the_age_67_and_the_residents_age(
    session: Session, settings: Settings, app: FastAPI, client: TestClient
) -> None:
    load_programmes(session, now=NOW, zone=ZONE)
    user = create_user(session, settings, role=Role.resident)
    resident = create_resident(session, settings, user=user, now=NOW)
    refused = decide(
        session,
        programme_code=SENIOR,
        resident_id=resident.id,
        facts={"residency_status": "verified", "age": 38, "disability": False},
        now=NOW,
    )
    session.flush()
    me = auth_headers(app, user, now=datetime.now(UTC))

    answers = {
        language: client.get(
            f"/api/v1/benefits/me/decisions/{refused.id}",
            headers={**me, "Accept-Language": language},
        ).json()
        for language in ("he", "ar", "en")
    }

    age = {language: _fact(answer, "age") for language, answer in answers.items()}
    assert {language: reason["text"] for language, reason in age.items()} == {
        "he": "חניה נוספת ניתנת מגיל 67 (או לאנשים עם מוגבלות); גילכם 38.",
        "ar": "الوقوف الإضافي من سن 67 فما فوق (أو لذوي الإعاقة)؛ عمركم 38.",
        "en": "Extra parking is for residents aged 67 or over (or with a disability); you are 38.",
    }
    assert {language: reason["expression"] for language, reason in age.items()} == {
        "he": "גיל 38 ≥ 67 ✗",
        "ar": "العمر 38 ≥ 67 ✗",
        "en": "age 38 ≥ 67 ✗",
    }
    assert _fact(answers["en"], "disability")["text"] == (
        "Extra parking is also for people with a disability, and none is recorded for you."
    )
    # The groups around the conditions have no sentences of their own: they keep their form.
    assert answers["en"]["reasons"][0]["text"] == "all of 2 conditions (1 met) ✗"


def _fact(answer: dict[str, Any], fact: str) -> dict[str, Any]:
    return next(reason for reason in answer["reasons"] if reason["fact"] == fact)


def test_a_missing_fact_has_its_own_sentence(session: Session) -> None:
    load_programmes(session, now=NOW, zone=ZONE)

    refused = decide(
        session,
        programme_code="cashback_resident",
        resident_id=uuid.uuid4(),
        facts={"residency_status": "verified"},
        now=NOW,
    )

    reason = compared(refused, "age")
    assert reason.outcome == "missing"
    assert reason.text["en"] == "Cashback starts at age 16, and we do not know your age."
    assert reason.text["he"] == "החזר כספי ניתן מגיל 16, וגילכם אינו ידוע לנו."
    assert reason.expressed["en"] == "age: fact missing ✗"


def test_a_condition_without_a_sentence_keeps_todays_form() -> None:
    rule = {
        "all": [
            {"fact": "age", "op": ">=", "value": 18},
            {
                "fact": "months_of_residency",
                "op": ">=",
                "value": 1200,
                "says": {"unmet": {"he": "{value}", "ar": "{value}", "en": "{value} of {limit}"}},
            },
        ]
    }

    evaluation = evaluate(rule, {"age": 17, "months_of_residency": 1000})

    age, months = evaluation.reasons[1], evaluation.reasons[2]
    assert age.text == age.expressed
    assert age.text["en"] == "age 17 ≥ 18 ✗"
    assert age.as_json()["expression"] == age.as_json()["text"]
    # A number is written for people (grouped); the expression keeps the engine's form.
    assert months.text["en"] == "1,000 of 1,200"
    assert months.expressed["en"] == "months of residency 1000 ≥ 1200 ✗"
    # An outcome the rule has no sentence for keeps today's form too.
    met = evaluate(rule, {"age": 17, "months_of_residency": 1300}).reasons[2]
    assert met.text["en"] == "months of residency 1300 ≥ 1200 ✓"


def test_a_decision_keeps_the_words_it_was_decided_with(session: Session) -> None:
    load_programmes(session, now=NOW, zone=ZONE)
    before = decide(
        session, programme_code=PERMIT, resident_id=uuid.uuid4(), facts=AT_THE_CAP, now=NOW
    )
    version = list_rule_versions(session, PERMIT)[0]
    rule: dict[str, Any] = version.rule
    cap = rule["all"][3]
    reworded = {**cap, "says": {**cap["says"], "unmet": {"he": "א", "ar": "ب", "en": "Full."}}}
    assert reword_rule_version(
        session,
        get_programme(session, PERMIT),
        version,
        {"all": [*rule["all"][:3], reworded]},
        actor_id=None,
    )

    after = decide(
        session, programme_code=PERMIT, resident_id=uuid.uuid4(), facts=AT_THE_CAP, now=NOW
    )

    assert compared(stored(session, after), "household_parking_permits").text["en"] == "Full."
    assert compared(stored(session, before), "household_parking_permits").text["en"] == (
        "A household may hold 2 permits; yours holds 2 already."
    )


def test_a_decision_stored_before_the_words_reads_as_it_did() -> None:
    old = {
        "path": "all[1]",
        "kind": "compare",
        "outcome": "fail",
        "fact": "age",
        "op": ">=",
        "value": 67,
        "actual": 38,
        "text": {"he": "גיל 38 ≥ 67 ✗", "ar": "العمر 38 ≥ 67 ✗", "en": "age 38 ≥ 67 ✗"},
    }

    reason = Reason.from_json(old)

    assert reason.text["en"] == reason.expressed["en"] == "age 38 ≥ 67 ✗"
    assert reason.as_json()["expression"] == old["text"]


# --- the sentences are checked when a programme is read ----------------------------------------------


def shipped_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "programmes"
    shutil.copytree(PROGRAMMES_FOLDER, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "yours holds {value} already.",
            "yours holds {valeu} already.",
            "{valeu} is not a placeholder household_parking_permits < 2 can fill (unmet)",
        ),
        (
            "we could not count your household's.",
            "we could not count your {value}.",
            "{value} is not a placeholder household_parking_permits < 2 can fill (missing)",
        ),
        (
            "Your address is in the {value} parking zone.",
            "Your address is in the {value} parking zone, not {limit}.",
            "{limit} is not a placeholder parking_zone != null can fill (met)",
        ),
        (
            "yours holds {value} already.",
            "yours holds {value.__class__} already.",
            "not a plain placeholder: {value.__class__}",
        ),
    ],
)
def test_a_sentence_asking_for_what_its_condition_cannot_fill_is_a_load_error(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    folder = shipped_copy(tmp_path)
    path = folder / f"{PERMIT}.yaml"
    edit(path, old, new)

    with pytest.raises(ProgrammeFileError) as refused:
        read_programme_file(path)

    message = str(refused.value)
    assert message.startswith(f"{path}: rules[0].rule: all[")
    assert ".says." in message
    assert problem in message


def test_a_sentence_in_two_languages_only_is_a_load_error(tmp_path: Path) -> None:
    folder = shipped_copy(tmp_path)
    path = folder / f"{PERMIT}.yaml"
    edit(
        path,
        '              ar: "عدد التصاريح المسموح به لكل أسرة هو {limit}، ولدى أسرتكم {value} بالفعل."\n',
        "",
    )

    with pytest.raises(ProgrammeFileError) as refused:
        read_programme_file(path)

    assert "rules[0].rule: all[3].says.unmet: expected a sentence in each of he, ar and en" in str(
        refused.value
    )


def test_sentences_on_a_group_are_refused() -> None:
    with pytest.raises(InvalidRule) as refused:
        evaluate({"all": [], "says": {"met": {"he": "כן", "ar": "نعم", "en": "yes"}}}, {})

    assert refused.value.problem.describe("en") == (
        "says: only a comparison {fact, op, value} carries sentences"
    )


# --- toshav rules test: every sentence is there -------------------------------------------------------


def rules_test(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["rules", "test", "--language", "en", *args])
    return result.exit_code, result.output


def test_the_shipped_programmes_have_every_sentence() -> None:
    code, output = rules_test(str(PROGRAMMES_FOLDER / "tests"))

    assert code == 0, output
    assert "without a reason in plain words" not in output


def test_a_copy_missing_one_sentence_fails_naming_it(tmp_path: Path) -> None:
    folder = shipped_copy(tmp_path)
    path = folder / f"{SENIOR}.yaml"
    edit(
        path,
        "                missing:\n"
        "                  he: אין לנו מידע אם יש לכם מוגבלות.\n"
        "                  ar: لا تتوفر لدينا معلومات عمّا إذا كانت لديكم إعاقة.\n"
        "                  en: We have no record of whether you have a disability.\n",
        "",
    )

    code, output = rules_test(str(folder / "tests"))

    assert code == 1, output
    assert "conditions without a reason in plain words" in output
    assert f"✗ {path}: rules[0].rule.all[1].any[1] (disability == true): missing" in output
    assert "22 cases: 22 passed, 0 failed, 1 conditions without sentences" in output


def test_a_copy_with_a_wrong_placeholder_cannot_be_run(tmp_path: Path) -> None:
    folder = shipped_copy(tmp_path)
    edit(folder / f"{PERMIT}.yaml", "yours holds {value} already.", "yours holds {count}.")

    code, output = rules_test(str(folder / "tests"))

    assert code == 2, output
    assert "{count} is not a placeholder household_parking_permits < 2 can fill" in output


def test_a_condition_without_any_sentence_is_listed_with_every_outcome(tmp_path: Path) -> None:
    (tmp_path / "youth_pass.yaml").write_text(
        "code: youth_pass\n"
        "names: {he: כרטיס נוער, ar: بطاقة الشباب, en: Youth pass}\n"
        "active_from: 2026-01-01\n"
        "rules:\n"
        "  - effective_from: 2026-01-01\n"
        "    rule: {fact: age, op: '<', value: 18}\n",
        encoding="utf-8",
    )
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "youth_pass.yaml").write_text(
        "programme: youth_pass\ncases: [{name: twelve, facts: {age: 12}, expect: eligible}]\n",
        encoding="utf-8",
    )

    code, output = rules_test(str(tests))

    assert code == 1, output
    assert (
        f"{tmp_path / 'youth_pass.yaml'}: rules[0].rule (age < 18): met, unmet, missing" in output
    )


# --- toshav rules load -----------------------------------------------------------------------------


@pytest.fixture
def command_env(fresh_database: FreshDatabase, tmp_path: Path) -> Iterator[dict[str, str]]:
    get_settings.cache_clear()
    yield {
        "TOSHAV_DATABASE_URL": fresh_database.url,
        "TOSHAV_VAR_DIR": str(tmp_path),
        "TOSHAV_ID_HASH_KEY": fresh_database.settings.id_hash_key.get_secret_value(),
    }
    get_settings.cache_clear()


def test_rules_load_refuses_a_wrong_placeholder_and_words_what_was_loaded_without(
    fresh_database: FreshDatabase, command_env: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner(env=command_env)
    wrong = shipped_copy(tmp_path / "wrong")
    edit(wrong / f"{PERMIT}.yaml", "yours holds {value} already.", "yours holds {count}.")
    wordless = shipped_copy(tmp_path / "wordless")
    for path in wordless.glob("*.yaml"):
        path.write_text(_without_says(path.read_text(encoding="utf-8")), encoding="utf-8")

    refused = runner.invoke(main, ["rules", "load", "--folder", str(wrong)])
    first = runner.invoke(main, ["rules", "load", "--folder", str(wordless)])
    worded = runner.invoke(main, ["rules", "load"])
    again = runner.invoke(main, ["rules", "load"])

    assert refused.exit_code == 1
    assert f"{wrong / PERMIT}.yaml: rules[0].rule: all[3].says.unmet.en: {{count}}" in (
        refused.output
    )
    assert first.exit_code == 0, first.output
    assert f"+ {PERMIT}" in first.output
    assert worded.exit_code == 0, worded.output
    assert f"~ {PERMIT} v1" in worded.output
    assert "+ " not in worded.output  # the words came to the versions there; none was added
    assert again.exit_code == 0, again.output
    assert "~ " not in again.output
    with fresh_database.session() as session:
        decision = decide(
            session, programme_code=PERMIT, resident_id=uuid.uuid4(), facts=AT_THE_CAP, now=NOW
        )
        assert compared(decision, "household_parking_permits").text["en"] == (
            "A household may hold 2 permits; yours holds 2 already."
        )
        versions = list_rule_versions(session, PERMIT)
        assert [v.version for v in versions] == [1]
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_id == str(versions[0].id))
        ).all()
        assert sorted(actions) == ["programme_rule.create", "programme_rule.reword"]


def _without_says(text: str) -> str:
    """A programme file with every ``says:`` block taken out (the lines indented under it)."""
    kept: list[str] = []
    cut_below: int | None = None
    for line in text.splitlines(keepends=True):
        indent = len(line) - len(line.lstrip(" "))
        if cut_below is not None and indent > cut_below:
            continue
        cut_below = None
        if line.strip() == "says:":
            cut_below = indent
            continue
        kept.append(line)
    return "".join(kept)


# --- a clerk's rule through the API ----------------------------------------------------------------


def test_a_clerk_tries_a_worded_rule_and_a_wrong_placeholder_is_a_422(
    client: TestClient, session: Session, settings: Settings, app: FastAPI
) -> None:
    clerk = auth_headers(
        app, create_user(session, settings, role=Role.admin), now=datetime.now(UTC)
    )
    says = {
        "unmet": {
            "he": "מגיל {limit}",
            "ar": "من سن {limit}",
            "en": "From {limit}; you are {value}.",
        }
    }
    rule = {"fact": "age", "op": ">=", "value": 1500, "says": says}

    tried = client.post(
        "/api/v1/admin/rules/evaluate", json={"rule": rule, "facts": {"age": 1200}}, headers=clerk
    )
    wrong = client.post(
        "/api/v1/admin/rules/evaluate",
        json={"rule": {**rule, "says": {"unmet": {**says["unmet"], "en": "{value:{limit}}"}}}},
        headers=clerk,
    )

    assert tried.status_code == 200, tried.text
    reason = tried.json()["reasons"][0]
    assert (reason["text"], reason["expression"]) == (
        "From 1,500; you are 1,200.",
        "age 1200 ≥ 1500 ✗",
    )
    assert (wrong.status_code, wrong.json()["error"]) == (422, "invalid_rule")
    assert "says.unmet.en: not a plain placeholder: {value:{limit}}" in wrong.json()["detail"]
