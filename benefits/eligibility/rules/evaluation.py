"""Walking a parsed rule over a resident's facts: the verdict, and every condition's reason in three
languages.

A fact the resident's facts do not carry makes its condition *missing*: it never passes, and,
because missing stays missing under ``not``, a missing fact can never make anyone eligible
(three-valued logic: ``all`` fails if any part fails, ``any`` passes if any part passes, otherwise
a missing part leaves the result missing, which is not eligible).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from benefits.eligibility.rules.known_facts import Fact, known_fact
from benefits.eligibility.rules.parsing import (
    MAX_TEXT,
    ORDERING_OPS,
    Comparison,
    Condition,
    Negation,
    RuleValue,
    Scalar,
    is_rule_int,
    parse_rule,
)
from benefits.eligibility.rules.wording import worded
from kernel.i18n import LANGUAGES, Language, Named, Text

Outcome = Literal["pass", "fail", "missing"]
Kind = Literal["all", "any", "not", "compare", "programme"]


@dataclass(frozen=True)
class Reason:
    """One condition's verdict: which fact, its value, the comparison, and a text in three languages.

    ``text`` is what a person reads: the rule's sentence for this outcome with the values filled in
    (``rules.wording``), or, without one, the condition in the engine's form, which ``expression``
    always holds (``age 38 ≥ 67 ✗``; ``None``: the same as ``text``)."""

    path: str
    kind: Kind
    outcome: Outcome
    text: Text
    fact: str | None = None
    op: str | None = None
    value: Any = None
    actual: Any = None
    expression: Text | None = None

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

    @property
    def expressed(self) -> Text:
        """The condition and its verdict in the engine's form, in three languages."""
        return self.expression if self.expression is not None else self.text

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "outcome": self.outcome,
            "fact": self.fact,
            "op": self.op,
            "value": self.value,
            "actual": self.actual,
            "text": dict(self.text),
            "expression": dict(self.expressed),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        return cls(
            path=str(data["path"]),
            kind=data["kind"],
            outcome=data["outcome"],
            text=cast(Text, dict(data["text"])),
            fact=data.get("fact"),
            op=data.get("op"),
            value=data.get("value"),
            actual=data.get("actual"),
            expression=cast(Text, dict(data["expression"])) if data.get("expression") else None,
        )


@dataclass(frozen=True)
class Evaluation:
    """The verdict of a rule on a resident's facts, with every condition's reason in tree order."""

    eligible: bool
    outcome: Outcome
    reasons: tuple[Reason, ...]
    facts_used: dict[str, Any]

    def failing(self) -> tuple[Reason, ...]:
        return tuple(
            reason for reason in self.reasons if reason.kind == "compare" and not reason.passed
        )


_OP_SYMBOLS: dict[str, Text] = {
    "==": {"he": "=", "ar": "=", "en": "="},
    "!=": {"he": "≠", "ar": "≠", "en": "≠"},
    "<": {"he": "<", "ar": "<", "en": "<"},
    "<=": {"he": "≤", "ar": "≤", "en": "≤"},
    ">": {"he": ">", "ar": ">", "en": ">"},
    ">=": {"he": "≥", "ar": "≥", "en": "≥"},
    "in": {"he": "אחד מתוך", "ar": "واحد من", "en": "is one of"},
    "not_in": {"he": "אינו אחד מתוך", "ar": "ليس واحدًا من", "en": "is none of"},
}
_YES: Text = {"he": "כן", "ar": "نعم", "en": "yes"}
_NO: Text = {"he": "לא", "ar": "لا", "en": "no"}
_NONE: Text = {"he": "ללא", "ar": "لا شيء", "en": "none"}


_NEGATED: dict[Outcome, Outcome] = {"pass": "fail", "fail": "pass", "missing": "missing"}


def _mark(outcome: Outcome) -> str:
    return "✓" if outcome == "pass" else "✗"


def _show(value: object, language: Language, fact: str | None = None) -> str:
    if value is None:
        return _NONE[language]
    if isinstance(value, bool):
        return (_YES if value else _NO)[language]
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_show(item, language, fact) for item in value) + "}"
    if isinstance(value, Named):
        return value.names[language]
    known = known_fact(fact) if fact is not None else None
    named = known.show(value, language) if known is not None else None
    return named if named is not None else str(value)


def _fact_name(name: str, language: Language) -> str:
    fact = known_fact(name)
    return fact.names[language] if fact is not None else name


def _compare(op: str, actual: Scalar, value: RuleValue) -> bool:
    if op == "==":
        return actual == value
    if op == "!=":
        return actual != value
    if op == "in":
        return actual in cast(tuple[Scalar, ...], value)
    if op == "not_in":
        return actual not in cast(tuple[Scalar, ...], value)
    left, right = cast(int, actual), cast(int, value)
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def _usable(fact: Fact, actual: object, op: str) -> bool:
    """Whether a fact's value can be compared: the registered type, and a value for orderings."""
    if actual is None:
        return fact.nullable and op not in ORDERING_OPS
    if fact.type is int:
        return is_rule_int(actual)
    return isinstance(actual, fact.type)


def _json_safe(value: object) -> Any:
    """A fact's value as stored with a decision: plain JSON (an enum member is its value)."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value) if is_rule_int(value) else "(out of range)"
    if value is None or type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    return str(value)[:MAX_TEXT]


class _Evaluator:
    def __init__(self, facts: Mapping[str, object]) -> None:
        self.facts = facts
        self.used: dict[str, Any] = {}

    def walk(self, node: Condition) -> tuple[Outcome, list[Reason]]:
        """A node's outcome, and its reason followed by those of everything under it."""
        if isinstance(node, Comparison):
            reason = self.comparison(node)
            return reason.outcome, [reason]
        if isinstance(node, Negation):
            inner, below = self.walk(node.child)
            outcome: Outcome = _NEGATED[inner]
            text: Text = {
                "he": f"שלילה: התנאי שבהמשך לא אמור להתקיים {_mark(outcome)}",
                "ar": f"نفي: يجب ألا يتحقق الشرط التالي {_mark(outcome)}",
                "en": f"not: the condition below must not hold {_mark(outcome)}",
            }
            return outcome, [Reason(node.path, "not", outcome, text), *below]
        results: list[Outcome] = []
        below = []
        for child in node.children:
            child_outcome, child_reasons = self.walk(child)
            results.append(child_outcome)
            below.extend(child_reasons)
        met, total = results.count("pass"), len(results)
        conditions = "condition" if total == 1 else "conditions"
        if node.kind == "all":
            outcome = "fail" if "fail" in results else "missing" if "missing" in results else "pass"
            text = {
                "he": f"כל התנאים ({met} מתוך {total} מתקיימים) {_mark(outcome)}",
                "ar": f"جميع الشروط (تحقق {met} من {total}) {_mark(outcome)}",
                "en": f"all of {total} {conditions} ({met} met) {_mark(outcome)}",
            }
        else:
            outcome = "pass" if "pass" in results else "missing" if "missing" in results else "fail"
            text = {
                "he": f"לפחות אחד מהתנאים ({met} מתוך {total} מתקיימים) {_mark(outcome)}",
                "ar": f"شرط واحد على الأقل (تحقق {met} من {total}) {_mark(outcome)}",
                "en": f"at least one of {total} {conditions} ({met} met) {_mark(outcome)}",
            }
        return outcome, [Reason(node.path, node.kind, outcome, text), *below]

    def comparison(self, node: Comparison) -> Reason:
        fact = known_fact(node.fact)
        value = list(node.value) if isinstance(node.value, tuple) else node.value
        present = node.fact in self.facts
        actual = self.facts.get(node.fact)
        if present:
            self.used[node.fact] = _json_safe(actual)
        if fact is None or not present or not _usable(fact, actual, node.op):
            if fact is None:
                why: Text = {"he": "נתון לא מוכר", "ar": "معلومة غير معروفة", "en": "unknown fact"}
            elif not present:
                why = {"he": "הנתון חסר", "ar": "المعلومة غير متوفرة", "en": "fact missing"}
            else:
                why = {
                    "he": "לנתון אין ערך שאפשר להשוות",
                    "ar": "لا توجد قيمة قابلة للمقارنة",
                    "en": "fact has no value that can be compared",
                }
            expression = cast(
                Text,
                {
                    language: f"{_fact_name(node.fact, language)}: {why[language]} ✗"
                    for language in LANGUAGES
                },
            )
            said = worded(node.says, "missing", fact=node.fact, limit=node.value, actual=None)
            return Reason(
                node.path,
                "compare",
                "missing",
                said or expression,
                fact=node.fact,
                op=node.op,
                value=value,
                actual=_json_safe(actual) if present else None,
                expression=expression,
            )
        outcome: Outcome = "pass" if _compare(node.op, cast(Scalar, actual), node.value) else "fail"
        expression = cast(
            Text,
            {
                language: (
                    f"{_fact_name(node.fact, language)} {_show(actual, language, node.fact)} "
                    f"{_OP_SYMBOLS[node.op][language]} {_show(node.value, language, node.fact)} "
                    f"{_mark(outcome)}"
                )
                for language in LANGUAGES
            },
        )
        said = worded(node.says, outcome, fact=node.fact, limit=node.value, actual=actual)
        return Reason(
            node.path,
            "compare",
            outcome,
            said or expression,
            fact=node.fact,
            op=node.op,
            value=value,
            actual=_json_safe(actual),
            expression=expression,
        )


def evaluate_condition(condition: Condition, facts: Mapping[str, object]) -> Evaluation:
    evaluator = _Evaluator(facts)
    outcome, reasons = evaluator.walk(condition)
    return Evaluation(
        eligible=outcome == "pass",
        outcome=outcome,
        reasons=tuple(reasons),
        facts_used=evaluator.used,
    )


def evaluate(rule: dict[str, Any], facts: Mapping[str, object]) -> Evaluation:
    """Evaluate a rule on a resident's facts; pure. A malformed rule raises ``InvalidRule``.

    Facts the rule does not name are ignored; a fact it names that is absent, unknown to the
    registry, or of the wrong type makes that condition *missing* (never passing).
    """
    return evaluate_condition(parse_rule(rule), facts)
