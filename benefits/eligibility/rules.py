"""Eligibility rules as data: the facts a rule may name, the checker, and an evaluator that says why.

A rule is a JSON condition tree a clerk can read::

    {"all": [{"fact": "residency_status", "op": "==", "value": "verified"},
             {"any": [{"fact": "age", "op": ">=", "value": 67},
                      {"fact": "disability", "op": "==", "value": true}]}]}

Nothing here runs code from a rule: a rule is parsed into a small tree of conditions (at most
``MAX_DEPTH`` levels and ``MAX_NODES`` conditions), each value type-checked against its fact, and
then walked. A fact the resident's facts do not carry makes its condition *missing*: it never
passes, and, because missing stays missing under ``not``, a missing fact can never make anyone
eligible (three-valued logic: ``all`` fails if any part fails, ``any`` passes if any part passes,
otherwise a missing part leaves the result missing, which is not eligible).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, cast, get_args

from benefits.eligibility.exceptions import InvalidRule, UnknownFact
from benefits.eligibility.rule_problems import RuleProblem
from resident_card.i18n import LANGUAGES, Language, Named, Text

MAX_DEPTH = 8
MAX_NODES = 200
MAX_LIST = 100
MAX_TEXT = 200
MAX_FACT_NAME = 64
# Ages, months, sizes and counts: far below this. Bounded so no number is too long to show.
MAX_INT = 10**12

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]
OPS: tuple[Op, ...] = get_args(Op)
ORDERING_OPS: frozenset[str] = frozenset({"<", "<=", ">", ">="})
LIST_OPS: frozenset[str] = frozenset({"in", "not_in"})

Scalar: TypeAlias = int | str | bool | None
RuleValue: TypeAlias = Scalar | tuple[Scalar, ...]
Outcome = Literal["pass", "fail", "missing"]
FactType: TypeAlias = type[int] | type[str] | type[bool]

_TYPE_NAMES: dict[FactType, str] = {int: "int", str: "str", bool: "bool"}


# --- the known facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A fact about a resident that rules may name."""

    name: str
    type: FactType
    names: Text
    nullable: bool = False
    # What a text fact's known values are called in each language (``verified`` → ``מאומת``), so a
    # reason reads in the resident's language; a value not listed is shown as it is.
    values: Mapping[str, Text] = field(default_factory=dict)

    @property
    def type_name(self) -> str:
        return _TYPE_NAMES[self.type]

    def show(self, value: object, language: Language) -> str | None:
        """This fact's value named in a language, when it is a value with names."""
        names = self.values.get(value) if isinstance(value, str) else None
        return names[language] if names is not None else None


_FACTS: dict[str, Fact] = {}


def register_fact(
    name: str,
    fact_type: FactType,
    names: Text,
    *,
    nullable: bool = False,
    values: Mapping[str, Text] | None = None,
) -> Fact:
    """Make a fact known to rules. Other packages add theirs (``parking_zone``, ``vehicle_count``).

    Registering the same fact again with the same definition is harmless; a different definition
    under a known name is a programming error.
    """
    if fact_type not in _TYPE_NAMES:
        raise ValueError(f"fact {name!r}: type must be int, str or bool")
    if not name or len(name) > MAX_FACT_NAME or not name.replace("_", "").isalnum():
        raise ValueError(f"fact {name!r}: a name of letters, digits and underscores")
    if set(names) != set(LANGUAGES) or not all(names[language] for language in LANGUAGES):
        raise ValueError(f"fact {name!r}: names in he, ar and en are required")
    for value, value_names in (values or {}).items():
        if set(value_names) != set(LANGUAGES) or not all(value_names.values()):
            raise ValueError(f"fact {name!r}, value {value!r}: names in he, ar and en are required")
    fact = Fact(
        name=name, type=fact_type, names=names, nullable=nullable, values=dict(values or {})
    )
    existing = _FACTS.get(name)
    if existing is not None and existing != fact:
        raise ValueError(f"fact {name!r} is already registered with another definition")
    _FACTS[name] = fact
    return fact


def known_facts() -> Mapping[str, Fact]:
    """Every fact rules may name, by name."""
    return MappingProxyType(_FACTS)


register_fact("age", int, {"he": "גיל", "ar": "العمر", "en": "age"})
register_fact(
    "residency_status",
    str,
    {"he": "סטטוס תושבות", "ar": "حالة الإقامة", "en": "residency status"},
    values={
        "pending": {"he": "ממתין לאימות", "ar": "بانتظار التحقق", "en": "waiting for verification"},
        "verified": {"he": "מאומת", "ar": "موثَّق", "en": "verified"},
        "rejected": {"he": "נדחה", "ar": "مرفوض", "en": "rejected"},
        "suspended": {"he": "מושעה", "ar": "معلَّق", "en": "suspended"},
        "moved_out": {"he": "עבר מהעיר", "ar": "انتقل من المدينة", "en": "moved out"},
    },
)
register_fact(
    "months_of_residency",
    int,
    {"he": "חודשי תושבות", "ar": "أشهر الإقامة", "en": "months of residency"},
)
register_fact(
    "neighbourhood", str, {"he": "שכונה", "ar": "الحي", "en": "neighbourhood"}, nullable=True
)
register_fact(
    "household_size", int, {"he": "גודל משק הבית", "ar": "حجم الأسرة", "en": "household size"}
)
register_fact("is_minor", bool, {"he": "קטין", "ar": "قاصر", "en": "minor"})
register_fact(
    "identifier_kind",
    str,
    {"he": "סוג מזהה", "ar": "نوع الهوية", "en": "identifier kind"},
    values={
        "israeli_id": {"he": "תעודת זהות", "ar": "بطاقة هوية", "en": "Israeli ID"},
        "passport": {"he": "דרכון", "ar": "جواز سفر", "en": "passport"},
        "foster_care": {"he": "אומנה", "ar": "رعاية بديلة", "en": "foster care"},
        "other": {"he": "אחר", "ar": "آخر", "en": "other"},
    },
)
register_fact("disability", bool, {"he": "מוגבלות", "ar": "إعاقة", "en": "disability"})


# --- problems with a rule ---------------------------------------------------------------------------


def _problem(path: str, he: str, ar: str, en: str) -> InvalidRule:
    return InvalidRule(RuleProblem(path, {"he": he, "ar": ar, "en": en}))


def _expected(path: str, what: Text) -> InvalidRule:
    return _problem(path, f"נדרש {what['he']}", f"المتوقع {what['ar']}", f"expected {what['en']}")


_TYPE_WORDS: dict[str, Text] = {
    "int": {"he": "מספר שלם (int)", "ar": "عدد صحيح (int)", "en": "int"},
    "str": {"he": "טקסט (str)", "ar": "نص (str)", "en": "str"},
    "bool": {"he": "כן/לא (bool)", "ar": "نعم/لا (bool)", "en": "bool"},
}
_A_SHORT_INT: Text = {
    "he": f"מספר שלם (int) של עד {len(str(MAX_INT)) - 1} ספרות",
    "ar": f"عدد صحيح (int) من {len(str(MAX_INT)) - 1} أرقام على الأكثر",
    "en": f"int of at most {len(str(MAX_INT)) - 1} digits",
}
_A_CONDITION: Text = {
    "he": 'תנאי: {"all": [...]}, {"any": [...]}, {"not": {...}} או {"fact", "op", "value"}',
    "ar": 'شرط: {"all": [...]} أو {"any": [...]} أو {"not": {...}} أو {"fact", "op", "value"}',
    "en": 'a condition: {"all": [...]}, {"any": [...]}, {"not": {...}} or {"fact", "op", "value"}',
}
_ONE_SHAPE: Text = {
    "he": 'בדיוק אחד מ־"all", "any", "not", או שלושתם "fact", "op", "value"',
    "ar": 'واحد فقط من "all" أو "any" أو "not"، أو الثلاثة معًا "fact" و"op" و"value"',
    "en": 'exactly one of "all", "any", "not", or all three of "fact", "op", "value"',
}
_A_LIST_OF_CONDITIONS: Text = {
    "he": "רשימת תנאים",
    "ar": "قائمة شروط",
    "en": "a list of conditions",
}
_A_FACT_NAME: Text = {"he": "שם של נתון", "ar": "اسم معلومة", "en": "a fact name"}
_AN_OPERATOR: Text = {
    "he": "אחד מהאופרטורים " + " ".join(get_args(Op)),
    "ar": "أحد العوامل " + " ".join(get_args(Op)),
    "en": "one of " + " ".join(get_args(Op)),
}
_A_LIST: Text = {
    "he": f"רשימה של עד {MAX_LIST} ערכים",
    "ar": f"قائمة من {MAX_LIST} قيمة على الأكثر",
    "en": f"a list of at most {MAX_LIST} values",
}
_A_SHORT_TEXT: Text = {
    "he": f"טקסט של עד {MAX_TEXT} תווים",
    "ar": f"نص من {MAX_TEXT} حرف على الأكثر",
    "en": f"a text of at most {MAX_TEXT} characters",
}
_A_PLAIN_VALUE: Text = {
    "he": "מספר שלם, טקסט, כן/לא או null",
    "ar": "عدد صحيح أو نص أو نعم/لا أو null",
    "en": "int, str, bool or null",
}


def _too_many(path: str) -> InvalidRule:
    return _problem(
        path,
        f"יותר מדי תנאים: לכל היותר {MAX_NODES}",
        f"شروط كثيرة جدًا: {MAX_NODES} على الأكثر",
        f"too many conditions: at most {MAX_NODES}",
    )


# --- the parsed tree --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    path: str
    fact: str
    op: Op
    value: RuleValue


@dataclass(frozen=True)
class Group:
    path: str
    kind: Literal["all", "any"]
    children: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    path: str
    child: Condition


Condition: TypeAlias = Comparison | Group | Negation


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


class _Parser:
    def __init__(self, *, known_only: bool) -> None:
        self.known_only = known_only
        self.nodes = 0

    def parse(self, node: object, path: str, depth: int) -> Condition:
        if depth > MAX_DEPTH:
            raise _problem(
                path,
                f"הכלל עמוק מדי: לכל היותר {MAX_DEPTH} רמות",
                f"القاعدة عميقة جدًا: {MAX_DEPTH} مستويات على الأكثر",
                f"too deep: at most {MAX_DEPTH} levels",
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _too_many(path)
        if not isinstance(node, dict):
            raise _expected(path, _A_CONDITION)
        keys = set(node)
        if keys in ({"all"}, {"any"}):
            kind: Literal["all", "any"] = "all" if "all" in keys else "any"
            children = node[kind]
            if not isinstance(children, list):
                raise _expected(_join(path, kind), _A_LIST_OF_CONDITIONS)
            if len(children) > MAX_NODES:
                raise _too_many(_join(path, kind))
            return Group(
                path,
                kind,
                tuple(
                    self.parse(child, _join(path, f"{kind}[{index}]"), depth + 1)
                    for index, child in enumerate(children)
                ),
            )
        if keys == {"not"}:
            return Negation(path, self.parse(node["not"], _join(path, "not"), depth + 1))
        if keys == {"fact", "op", "value"}:
            return self.comparison(node, path)
        unknown = sorted(str(key) for key in keys - {"all", "any", "not", "fact", "op", "value"})
        if unknown:
            name = unknown[0][:MAX_FACT_NAME]
            raise _problem(
                _join(path, name),
                "מפתח לא מוכר",
                "مفتاح غير معروف",
                "unknown key",
            )
        raise _expected(path, _ONE_SHAPE)

    def comparison(self, node: dict[Any, Any], path: str) -> Comparison:
        name = node["fact"]
        if not isinstance(name, str) or not name or len(name) > MAX_FACT_NAME:
            raise _expected(_join(path, "fact"), _A_FACT_NAME)
        op = node["op"]
        if not isinstance(op, str) or op not in OPS:
            raise _expected(_join(path, "op"), _AN_OPERATOR)
        fact = _FACTS.get(name)
        if fact is None and self.known_only:
            raise UnknownFact(
                RuleProblem(
                    _join(path, "fact"),
                    {
                        "he": f"נתון לא מוכר: {name}",
                        "ar": f"معلومة غير معروفة: {name}",
                        "en": f"unknown fact: {name}",
                    },
                )
            )
        value_path = _join(path, "value")
        raw = node["value"]
        if op in LIST_OPS:
            if not isinstance(raw, list):
                raise _expected(value_path, _A_LIST)
            if len(raw) > MAX_LIST:
                raise _expected(value_path, _A_LIST)
            items = tuple(
                self.scalar(item, fact, f"{value_path}[{index}]") for index, item in enumerate(raw)
            )
            return Comparison(path, name, op, items)
        if op in ORDERING_OPS:
            if fact is not None and fact.type is not int:
                raise _problem(
                    _join(path, "op"),
                    f"האופרטור {op} לא חל על נתון מסוג {fact.type_name}",
                    f"العامل {op} لا ينطبق على معلومة من نوع {fact.type_name}",
                    f"operator {op} does not apply to a {fact.type_name} fact",
                )
            if not _is_int(raw):
                raise _not_an_int(value_path, raw)
            return Comparison(path, name, op, raw)
        return Comparison(path, name, op, self.scalar(raw, fact, value_path))

    def scalar(self, value: object, fact: Fact | None, path: str) -> Scalar:
        if fact is None:  # a fact this process does not know: any plain value, checked later
            if value is None or _is_int(value) or isinstance(value, bool):
                return cast(Scalar, value)
            if isinstance(value, str):
                return _text(value, path)
            raise _expected(path, _A_PLAIN_VALUE)
        if value is None:
            if fact.nullable:
                return None
            raise _expected(path, _TYPE_WORDS[fact.type_name])
        if fact.type is int:
            if not _is_int(value):
                raise _not_an_int(path, value)
            return cast(int, value)
        if fact.type is bool and isinstance(value, bool):
            return value
        if fact.type is str and isinstance(value, str):
            return _text(value, path)
        raise _expected(path, _TYPE_WORDS[fact.type_name])


def _not_an_int(path: str, value: object) -> InvalidRule:
    big = isinstance(value, int) and not isinstance(value, bool)
    return _expected(path, _A_SHORT_INT if big else _TYPE_WORDS["int"])


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -MAX_INT < value < MAX_INT


def _text(value: str, path: str) -> str:
    if len(value) > MAX_TEXT:
        raise _expected(path, _A_SHORT_TEXT)
    return value


def parse_rule(rule: object, *, known_only: bool = False) -> Condition:
    """The condition tree of a rule, or ``InvalidRule`` naming the first problem and its path.

    With ``known_only`` (when a rule is saved), a fact outside the registry is ``UnknownFact``.
    """
    return _Parser(known_only=known_only).parse(rule, "", 1)


def check_rule(rule: object) -> None:
    """Refuse a rule before it is saved: bad shape, bad types, or a fact the city does not know."""
    parse_rule(rule, known_only=True)


def facts_named(condition: Condition) -> list[str]:
    """The facts a rule reads, in the order it names them first."""
    names: list[str] = []
    stack: list[Condition] = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, Comparison):
            if node.fact not in names:
                names.append(node.fact)
        elif isinstance(node, Group):
            stack.extend(reversed(node.children))
        else:
            stack.append(node.child)
    return names


# --- evaluation ------------------------------------------------------------------------------------

Kind = Literal["all", "any", "not", "compare", "programme"]


@dataclass(frozen=True)
class Reason:
    """One condition's verdict: which fact, its value, the comparison, and a text in three languages."""

    path: str
    kind: Kind
    outcome: Outcome
    text: Text
    fact: str | None = None
    op: str | None = None
    value: Any = None
    actual: Any = None

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

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
    known = _FACTS.get(fact) if fact is not None else None
    named = known.show(value, language) if known is not None else None
    return named if named is not None else str(value)


def _fact_name(name: str, language: Language) -> str:
    fact = _FACTS.get(name)
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
        return _is_int(actual)
    return isinstance(actual, fact.type)


def _json_safe(value: object) -> Any:
    """A fact's value as stored with a decision: plain JSON (an enum member is its value)."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value) if _is_int(value) else "(out of range)"
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
        fact = _FACTS.get(node.fact)
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
            text = cast(
                Text,
                {
                    language: f"{_fact_name(node.fact, language)}: {why[language]} ✗"
                    for language in LANGUAGES
                },
            )
            return Reason(
                node.path,
                "compare",
                "missing",
                text,
                fact=node.fact,
                op=node.op,
                value=value,
                actual=_json_safe(actual) if present else None,
            )
        outcome: Outcome = "pass" if _compare(node.op, cast(Scalar, actual), node.value) else "fail"
        text = cast(
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
        return Reason(
            node.path,
            "compare",
            outcome,
            text,
            fact=node.fact,
            op=node.op,
            value=value,
            actual=_json_safe(actual),
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
