"""The rule evaluator: verdicts with reasons, the checks that refuse bad rules, and its limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benefits.eligibility.exceptions import InvalidRule, UnknownFact
from benefits.eligibility.rules.evaluation import evaluate
from benefits.eligibility.rules.known_facts import Fact, known_facts
from benefits.eligibility.rules.parsing import MAX_DEPTH, MAX_NODES, check_rule
from benefits.eligibility.service.facts import Facts, install
from kernel.i18n import LANGUAGES, Named

VERIFIED = {"fact": "residency_status", "op": "==", "value": "verified"}
SENIOR = {
    "all": [
        VERIFIED,
        {
            "any": [
                {"fact": "age", "op": ">=", "value": 67},
                {"fact": "disability", "op": "==", "value": True},
            ]
        },
    ]
}


def texts(evaluation: Any, language: str = "en") -> list[str]:
    return [reason.text[language] for reason in evaluation.reasons]


# --- verdicts and reasons ---------------------------------------------------------------------------


def test_a_passing_comparison_says_the_value_the_comparison_and_a_tick() -> None:
    evaluation = evaluate({"fact": "age", "op": ">=", "value": 65}, {"age": 67})

    assert evaluation.eligible
    (reason,) = evaluation.reasons
    assert reason.text == {"he": "גיל 67 ≥ 65 ✓", "ar": "العمر 67 ≥ 65 ✓", "en": "age 67 ≥ 65 ✓"}
    assert (reason.fact, reason.op, reason.value, reason.actual, reason.outcome) == (
        "age",
        ">=",
        65,
        67,
        "pass",
    )


def test_every_condition_of_a_tree_gets_a_reason_in_tree_order() -> None:
    evaluation = evaluate(SENIOR, {"residency_status": "verified", "age": 60, "disability": True})

    assert evaluation.eligible
    assert [reason.path for reason in evaluation.reasons] == [
        "",
        "all[0]",
        "all[1]",
        "all[1].any[0]",
        "all[1].any[1]",
    ]
    assert texts(evaluation) == [
        "all of 2 conditions (2 met) ✓",
        "residency status verified = verified ✓",
        "at least one of 2 conditions (1 met) ✓",
        "age 60 ≥ 67 ✗",
        "disability yes = yes ✓",
    ]
    assert texts(evaluation, "he")[4] == "מוגבלות כן = כן ✓"
    # A text fact's known values are named in the reader's language too.
    assert texts(evaluation, "he")[1] == "סטטוס תושבות מאומת = מאומת ✓"
    assert texts(evaluation, "ar")[1] == "حالة الإقامة موثَّق = موثَّق ✓"


def test_a_refusal_names_the_conditions_that_failed() -> None:
    evaluation = evaluate(SENIOR, {"residency_status": "pending", "age": 70, "disability": False})

    assert not evaluation.eligible
    assert [reason.text["en"] for reason in evaluation.failing()] == [
        "residency status waiting for verification = verified ✗",
        "disability no = yes ✗",
    ]


def test_a_value_without_a_name_is_shown_as_it_is() -> None:
    evaluation = evaluate(
        {"fact": "identifier_kind", "op": "in", "value": ["israeli_id", "passport"]},
        {"identifier_kind": "diplomatic"},
    )
    assert texts(evaluation, "he") == ["סוג מזהה diplomatic אחד מתוך {תעודת זהות, דרכון} ✗"]


def test_only_the_facts_a_rule_names_are_kept_as_used() -> None:
    evaluation = evaluate(
        VERIFIED, {"residency_status": "verified", "age": 40, "neighbourhood": "carmel"}
    )
    assert evaluation.facts_used == {"residency_status": "verified"}


@pytest.mark.parametrize(
    ("op", "value", "actual", "passes"),
    [
        ("==", 3, 3, True),
        ("!=", 3, 3, False),
        ("<", 3, 2, True),
        ("<=", 3, 3, True),
        (">", 3, 3, False),
        (">=", 3, 4, True),
        ("in", [1, 2, 3], 2, True),
        ("in", [1, 2, 3], 5, False),
        ("not_in", [1, 2, 3], 5, True),
        ("not_in", [], 5, True),
    ],
)
def test_each_operator(op: str, value: object, actual: int, passes: bool) -> None:
    rule = {"fact": "household_size", "op": op, "value": value}
    assert evaluate(rule, {"household_size": actual}).eligible is passes


def test_a_neighbourhood_may_be_unknown_and_rules_can_say_so() -> None:
    in_carmel = {"fact": "neighbourhood", "op": "in", "value": ["carmel", "hadar"]}
    no_neighbourhood = {"fact": "neighbourhood", "op": "==", "value": None}

    assert evaluate(in_carmel, {"neighbourhood": "hadar"}).eligible
    assert not evaluate(in_carmel, {"neighbourhood": None}).eligible
    assert evaluate(no_neighbourhood, {"neighbourhood": None}).eligible
    assert texts(evaluate(in_carmel, {"neighbourhood": None})) == [
        "neighbourhood none is one of {carmel, hadar} ✗"
    ]


def test_a_missing_fact_fails_with_a_clear_reason() -> None:
    evaluation = evaluate({"fact": "age", "op": ">=", "value": 16}, {})

    assert not evaluation.eligible
    (reason,) = evaluation.reasons
    assert reason.outcome == "missing"
    assert reason.text["en"] == "age: fact missing ✗"
    assert reason.text["he"] == "גיל: הנתון חסר ✗"


def test_a_missing_fact_cannot_make_anyone_eligible_through_not() -> None:
    not_disabled = {"not": {"fact": "disability", "op": "==", "value": True}}

    assert evaluate(not_disabled, {"disability": False}).eligible
    missing = evaluate(not_disabled, {})
    assert not missing.eligible
    assert [reason.outcome for reason in missing.reasons] == ["missing", "missing"]


def test_any_still_passes_when_another_branch_holds() -> None:
    assert evaluate(SENIOR, {"residency_status": "verified", "age": 70}).eligible


def test_a_fact_of_the_wrong_type_is_not_compared() -> None:
    evaluation = evaluate({"fact": "age", "op": ">=", "value": 16}, {"age": "67"})

    assert not evaluation.eligible
    assert evaluation.reasons[0].outcome == "missing"
    assert evaluation.reasons[0].text["en"] == "age: fact has no value that can be compared ✗"
    assert not evaluate({"fact": "age", "op": ">=", "value": 0}, {"age": True}).eligible


def test_a_number_too_large_to_be_a_fact_is_not_compared() -> None:
    evaluation = evaluate({"fact": "age", "op": ">=", "value": 16}, {"age": 10**5000})

    assert not evaluation.eligible
    assert evaluation.reasons[0].outcome == "missing"
    assert evaluation.facts_used == {"age": "(out of range)"}


def test_a_fact_no_package_registered_fails_at_evaluation_as_unknown() -> None:
    rule = {"fact": "shoe_size", "op": ">=", "value": 40}

    evaluation = evaluate(rule, {"shoe_size": 44})

    assert not evaluation.eligible
    assert evaluation.reasons[0].text["en"] == "shoe_size: unknown fact ✗"


def test_the_facts_a_domain_brings_are_known_to_rules_once_installed() -> None:
    fact = Fact(
        "test_vehicle_count", int, {"he": "מספר רכבים", "ar": "عدد المركبات", "en": "vehicles"}
    )
    rule = {"fact": "test_vehicle_count", "op": "<=", "value": 2}
    with pytest.raises(UnknownFact):
        check_rule(rule)

    install([Facts((fact,))])

    check_rule(rule)
    assert known_facts()["test_vehicle_count"] == fact
    assert texts(evaluate(rule, {"test_vehicle_count": 1})) == ["vehicles 1 ≤ 2 ✓"]
    install([Facts((fact,)), Facts((fact,))])  # the same fact twice: harmless
    assert known_facts()["test_vehicle_count"] == fact
    with pytest.raises(ValueError, match="defined twice, differently"):
        install([Facts((fact,)), Facts((Fact("test_vehicle_count", str, fact.names),))])
    assert known_facts()["test_vehicle_count"] == fact  # a refused install changes nothing
    with pytest.raises(ValueError, match="he, ar and en"):
        Fact("test_colour", str, {"he": "צבע", "ar": "", "en": "colour"})
    install([])  # installing replaces: the fact is gone, the built-in ones stay
    assert "test_vehicle_count" not in known_facts()
    assert "age" in known_facts()


# --- rules that are refused, and where --------------------------------------------------------------


def deep(depth: int) -> dict[str, Any]:
    rule: dict[str, Any] = {"fact": "age", "op": ">=", "value": 1}
    for _ in range(depth - 1):
        rule = {"not": rule}
    return rule


def wide(count: int) -> dict[str, Any]:
    return {"all": [{"fact": "age", "op": ">=", "value": n} for n in range(count)]}


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ([], "rule: expected a condition"),
        ("age >= 65", "rule: expected a condition"),
        ({"all": {}}, "all: expected a list of conditions"),
        ({"all": [VERIFIED, 3]}, "all[1]: expected a condition"),
        ({"everything": []}, "everything: unknown key"),
        ({"all": [], "any": []}, 'rule: expected exactly one of "all", "any", "not"'),
        ({"fact": "age", "op": ">="}, 'rule: expected exactly one of "all", "any", "not"'),
        ({"fact": 7, "op": "==", "value": 1}, "fact: expected a fact name"),
        ({"fact": "age", "op": "=~", "value": 1}, "op: expected one of == != < <= > >= in not_in"),
        (
            {"fact": "neighbourhood", "op": "<", "value": "m"},
            "op: operator < does not apply to a str fact",
        ),
        (
            {"all": [VERIFIED, VERIFIED, {"fact": "age", "op": ">=", "value": "65"}]},
            "all[2].value: expected int",
        ),
        ({"fact": "age", "op": "==", "value": True}, "value: expected int"),
        ({"fact": "age", "op": ">=", "value": 6.5}, "value: expected int"),
        ({"fact": "age", "op": ">=", "value": 10**12}, "value: expected int of at most 12 digits"),
        ({"fact": "age", "op": "in", "value": [1, -(10**40)]}, "value[1]: expected int of at most"),
        ({"fact": "age", "op": "==", "value": None}, "value: expected int"),
        ({"fact": "disability", "op": "==", "value": 1}, "value: expected bool"),
        ({"fact": "age", "op": "in", "value": 65}, "value: expected a list of at most 100 values"),
        (
            {"fact": "age", "op": "in", "value": list(range(101))},
            "value: expected a list of at most 100 values",
        ),
        (
            {"fact": "neighbourhood", "op": "in", "value": ["carmel", 3]},
            "value[1]: expected str",
        ),
        (
            {"fact": "neighbourhood", "op": "==", "value": "x" * 201},
            "value: expected a text of at most 200 characters",
        ),
        ({"not": {"any": [{"not": []}]}}, "not.any[0].not: expected a condition"),
        (deep(MAX_DEPTH + 1), "not.not.not.not.not.not.not.not: too deep: at most 8 levels"),
        (wide(MAX_NODES), "all[199]: too many conditions: at most 200"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_problem_and_its_path(rule: Any, problem: str) -> None:
    with pytest.raises(InvalidRule) as raised:
        evaluate(rule, {})
    assert raised.value.code == "invalid_rule"
    assert raised.value.problem.describe("en").startswith(problem)
    assert raised.value.status_code == 422


def test_the_problem_is_told_in_every_language() -> None:
    with pytest.raises(InvalidRule) as raised:
        evaluate({"all": [VERIFIED, {"fact": "age", "op": ">=", "value": "x"}]}, {})
    assert raised.value.detail("en") == "The rule is not valid: all[1].value: expected int"
    assert raised.value.detail("he") == "הכלל אינו תקין: all[1].value: נדרש מספר שלם (int)"
    assert raised.value.detail("ar") == "القاعدة غير صالحة: all[1].value: المتوقع عدد صحيح (int)"


def test_the_limits_themselves_are_allowed() -> None:
    deepest = evaluate(deep(MAX_DEPTH), {"age": 3})
    assert deepest.reasons[-1].path == ".".join(["not"] * (MAX_DEPTH - 1))
    assert len(evaluate(wide(MAX_NODES - 1), {"age": 500}).reasons) == MAX_NODES
    assert evaluate({"all": []}, {}).eligible  # a programme open to everyone
    assert not evaluate({"any": []}, {}).eligible


def test_a_rule_naming_an_unknown_fact_is_refused_when_saved() -> None:
    rule = {"all": [VERIFIED, {"fact": "parking_zonee", "op": "==", "value": "A"}]}

    with pytest.raises(UnknownFact) as raised:
        check_rule(rule)

    assert raised.value.code == "unknown_fact"
    assert raised.value.detail("en") == (
        "The rule is not valid: all[1].fact: unknown fact: parking_zonee"
    )


# --- properties -----------------------------------------------------------------------------------

INT_FACTS = ("age", "months_of_residency", "household_size")
STR_FACTS = ("residency_status", "identifier_kind", "neighbourhood")
BOOL_FACTS = ("is_minor", "disability")
WORDS = st.sampled_from(["verified", "pending", "carmel", "hadar", "israeli_id", "foster_care"])
SMALL_INTS = st.integers(min_value=-5, max_value=120)


def _comparisons() -> st.SearchStrategy[dict[str, Any]]:
    ints = st.builds(
        lambda fact, op, value: {"fact": fact, "op": op, "value": value},
        st.sampled_from(INT_FACTS),
        st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
        SMALL_INTS,
    )
    int_lists = st.builds(
        lambda fact, op, value: {"fact": fact, "op": op, "value": value},
        st.sampled_from(INT_FACTS),
        st.sampled_from(["in", "not_in"]),
        st.lists(SMALL_INTS, max_size=5),
    )
    strs = st.builds(
        lambda fact, op, value: {"fact": fact, "op": op, "value": value},
        st.sampled_from(STR_FACTS),
        st.sampled_from(["==", "!="]),
        WORDS,
    )
    str_lists = st.builds(
        lambda op, value: {"fact": "neighbourhood", "op": op, "value": value},
        st.sampled_from(["in", "not_in"]),
        st.lists(st.one_of(WORDS, st.none()), max_size=4),
    )
    bools = st.builds(
        lambda fact, op, value: {"fact": fact, "op": op, "value": value},
        st.sampled_from(BOOL_FACTS),
        st.sampled_from(["==", "!="]),
        st.booleans(),
    )
    return st.one_of(ints, int_lists, strs, str_lists, bools)


def _trees(max_leaves: int) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        _comparisons(),
        lambda children: st.one_of(
            st.builds(lambda items: {"all": items}, st.lists(children, max_size=6)),
            st.builds(lambda items: {"any": items}, st.lists(children, max_size=6)),
            st.builds(lambda child: {"not": child}, children),
        ),
        max_leaves=max_leaves,
    )


def _facts() -> st.SearchStrategy[dict[str, object]]:
    value_of: dict[str, st.SearchStrategy[object]] = {
        **dict.fromkeys(INT_FACTS, SMALL_INTS),
        "residency_status": WORDS,
        "identifier_kind": WORDS,
        "neighbourhood": st.one_of(WORDS, st.none()),
        **dict.fromkeys(BOOL_FACTS, st.booleans()),
    }
    wrong: st.SearchStrategy[object] = st.one_of(
        st.text(max_size=3), st.booleans(), st.floats(allow_nan=True), st.none()
    )
    return st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(strategy, strategy, strategy, wrong)
            for name, strategy in value_of.items()
        },
    )


def reference(node: Mapping[str, Any], facts: Mapping[str, object]) -> bool | None:
    """A plain reading of a rule: True, False, or None when a fact it needs is missing."""
    if "all" in node:
        values = [reference(child, facts) for child in node["all"]]
        return False if False in values else None if None in values else True
    if "any" in node:
        values = [reference(child, facts) for child in node["any"]]
        return True if True in values else None if None in values else False
    if "not" in node:
        inner = reference(node["not"], facts)
        return None if inner is None else not inner
    name, op, value = node["fact"], node["op"], node["value"]
    if name not in facts:
        return None
    actual = facts[name]
    fact = known_facts()[name]
    if actual is None:
        if not fact.nullable or op in ("<", "<=", ">", ">="):
            return None
    elif not (type(actual) is int if fact.type is int else isinstance(actual, fact.type)):
        return None
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    return bool(
        {
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }[op](actual, value)
    )


def shape(node: Mapping[str, Any], depth: int = 1) -> tuple[int, int]:
    """(deepest level, number of conditions) of a rule."""
    children = node.get("all", node.get("any", [node["not"]] if "not" in node else []))
    measured = [shape(child, depth + 1) for child in children]
    return max([depth, *(d for d, _ in measured)]), 1 + sum(n for _, n in measured)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(tree=_trees(max_leaves=60), wrapping=st.integers(min_value=0, max_value=6), facts=_facts())
def test_well_formed_rules_agree_with_a_plain_reading(
    tree: dict[str, Any], wrapping: int, facts: dict[str, object]
) -> None:
    rule = tree
    for _ in range(wrapping):  # deep enough, sometimes, to cross the depth limit
        rule = {"not": rule}
    depth, size = shape(rule)
    if depth > MAX_DEPTH or size > MAX_NODES:
        with pytest.raises(InvalidRule):
            evaluate(rule, facts)
        return
    evaluation = evaluate(rule, facts)
    expected = reference(rule, facts)
    assert evaluation.eligible is (expected is True)
    assert evaluation.outcome == {True: "pass", False: "fail", None: "missing"}[expected]
    assert len(evaluation.reasons) == size
    assert set(evaluation.facts_used) <= set(facts)


@settings(max_examples=100, deadline=None)
@given(depth=st.integers(min_value=1, max_value=MAX_DEPTH + 4))
def test_depth_is_bounded(depth: int) -> None:
    if depth <= MAX_DEPTH:
        assert len(evaluate(deep(depth), {"age": 3}).reasons) == depth
    else:
        with pytest.raises(InvalidRule, match="too deep"):
            evaluate(deep(depth), {"age": 3})


@settings(max_examples=50, deadline=None)
@given(count=st.integers(min_value=0, max_value=MAX_NODES + 50))
def test_size_is_bounded(count: int) -> None:
    if count + 1 <= MAX_NODES:
        assert len(evaluate(wide(count), {"age": 3}).reasons) == count + 1
    else:
        with pytest.raises(InvalidRule, match="too many conditions"):
            evaluate(wide(count), {"age": 3})


KEYS = st.sampled_from(["all", "any", "not", "fact", "op", "value", "x"])
JUNK = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=5),
        st.sampled_from(["age", "neighbourhood", "disability", "==", ">=", "in", "verified"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=500, deadline=None)
@given(rule=JUNK, facts=_facts())
def test_any_input_is_either_evaluated_or_refused_never_a_crash(
    rule: object, facts: dict[str, object]
) -> None:
    refused: InvalidRule | None = None
    try:
        evaluation = evaluate(rule, facts)  # type: ignore[arg-type]
    except InvalidRule as exc:
        refused = exc
    if refused is None:
        assert evaluation.reasons
    else:
        assert all(refused.problem.describe(language) for language in LANGUAGES)
        assert refused.detail("en").startswith("The rule is not valid: ")


def test_a_value_that_is_one_of_the_citys_records_reads_by_its_name_and_is_kept_by_its_code() -> (
    None
):
    hadar = Named("hadar", {"he": "הדר", "ar": "الهدار", "en": "Hadar"})
    rule = {"fact": "neighbourhood", "op": "in", "value": ["hadar", "carmel"]}

    evaluation = evaluate(rule, {"neighbourhood": hadar})

    assert evaluation.eligible
    [reason] = evaluation.reasons
    assert reason.text["he"].startswith("שכונה הדר ")
    assert reason.text["ar"].startswith("الحي الهدار ")
    assert reason.text["en"] == "neighbourhood Hadar is one of {hadar, carmel} ✓"
    assert json.loads(json.dumps(reason.as_json()))["actual"] == "hadar"
    assert type(evaluation.facts_used["neighbourhood"]) is str


def test_a_group_of_one_condition_reads_in_the_singular_in_english() -> None:
    rule = {"all": [{"fact": "age", "op": ">=", "value": 18}]}

    group = evaluate(rule, {"age": 30}).reasons[0]

    assert group.text["en"] == "all of 1 condition (1 met) ✓"
