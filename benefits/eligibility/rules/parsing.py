"""Reading a rule: its limits, the problems that refuse it, and the condition tree it is parsed into.

Nothing here runs code from a rule: a rule is parsed into a small tree of conditions (at most
``MAX_DEPTH`` levels and ``MAX_NODES`` conditions), each value type-checked against its fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, cast, get_args

from benefits.eligibility.exceptions import InvalidRule, UnknownFact
from benefits.eligibility.rule_problems import RuleProblem
from benefits.eligibility.rules.known_facts import MAX_FACT_NAME, Fact, known_fact
from benefits.eligibility.rules.wording import SAYINGS, Says, parse_says
from kernel.i18n import Text

MAX_DEPTH = 8
MAX_NODES = 200
MAX_LIST = 100
MAX_TEXT = 200
# Ages, months, sizes and counts: far below this. Bounded so no number is too long to show.
MAX_INT = 10**12

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in"]
OPS: tuple[Op, ...] = get_args(Op)
ORDERING_OPS: frozenset[str] = frozenset({"<", "<=", ">", ">="})
LIST_OPS: frozenset[str] = frozenset({"in", "not_in"})

Scalar: TypeAlias = int | str | bool | None
RuleValue: TypeAlias = Scalar | tuple[Scalar, ...]


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
    says: Says | None = None  # its reason in plain words (``rules.wording``)


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
        if keys in ({"fact", "op", "value"}, {"fact", "op", "value", "says"}):
            return self.comparison(node, path)
        if "says" in keys and keys & {"all", "any", "not"}:
            raise _problem(
                _join(path, "says"),
                "רק השוואה {fact, op, value} נושאת משפטים",
                "المقارنة {fact, op, value} وحدها تحمل جملًا",
                "only a comparison {fact, op, value} carries sentences",
            )
        known_keys = {"all", "any", "not", "fact", "op", "value", "says"}
        unknown = sorted(str(key) for key in keys - known_keys)
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
        fact = known_fact(name)
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
            return Comparison(path, name, op, items, self.says(node, path, items))
        if op in ORDERING_OPS:
            if fact is not None and fact.type is not int:
                raise _problem(
                    _join(path, "op"),
                    f"האופרטור {op} לא חל על נתון מסוג {fact.type_name}",
                    f"العامل {op} لا ينطبق على معلومة من نوع {fact.type_name}",
                    f"operator {op} does not apply to a {fact.type_name} fact",
                )
            if not is_rule_int(raw):
                raise _not_an_int(value_path, raw)
            return Comparison(path, name, op, raw, self.says(node, path, raw))
        value = self.scalar(raw, fact, value_path)
        return Comparison(path, name, op, value, self.says(node, path, value))

    def says(self, node: dict[Any, Any], path: str, value: RuleValue) -> Says | None:
        if "says" not in node:
            return None
        return parse_says(
            node["says"], _join(path, "says"), fact=node["fact"], op=node["op"], value=value
        )

    def scalar(self, value: object, fact: Fact | None, path: str) -> Scalar:
        if fact is None:  # a fact this process does not know: any plain value, checked later
            if value is None or is_rule_int(value) or isinstance(value, bool):
                return cast(Scalar, value)
            if isinstance(value, str):
                return _text(value, path)
            raise _expected(path, _A_PLAIN_VALUE)
        if value is None:
            if fact.nullable:
                return None
            raise _expected(path, _TYPE_WORDS[fact.type_name])
        if fact.type is int:
            if not is_rule_int(value):
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


def is_rule_int(value: object) -> bool:
    """An int a rule may hold or compare: not a bool, and fewer digits than ``MAX_INT``."""
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


def unsaid(condition: Condition) -> list[tuple[Comparison, tuple[str, ...]]]:
    """The comparisons of a rule that lack a sentence, each with the outcomes it has none for, in
    the order the rule names them."""
    found: list[tuple[Comparison, tuple[str, ...]]] = []
    stack: list[Condition] = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, Comparison):
            missing = node.says.unsaid() if node.says is not None else SAYINGS
            if missing:
                found.append((node, missing))
        elif isinstance(node, Group):
            stack.extend(reversed(node.children))
        else:
            stack.append(node.child)
    return found
