"""A condition's reason in plain words: the sentences a rule writes beside a comparison (``says``),
checked when the rule is read and filled with the resident's values when it is evaluated.

A comparison may carry, for each way it can go, one sentence in every language::

    {"fact": "household_parking_permits", "op": "<", "value": 2,
     "says": {"met": {"he": …, "ar": …, "en": "A household may hold {limit} permits; yours holds {value}."},
              "unmet": {…}, "missing": {…}}}

Placeholders: ``{fact}`` (the fact's name), ``{limit}`` (the condition's own value; not when it is
null) and ``{value}`` (the resident's value; not in ``missing``, where there is none). An outcome
without a sentence keeps the engine's own form (``age 38 ≥ 67 ✗``).
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, cast, get_args

from benefits.eligibility.exceptions import InvalidRule
from benefits.eligibility.rule_problems import RuleProblem
from benefits.eligibility.rules.known_facts import known_fact
from kernel.i18n import LANGUAGES, Language, Named, Text

Saying = Literal["met", "unmet", "missing"]
SAYINGS: tuple[Saying, ...] = get_args(Saying)
PLACEHOLDERS: tuple[str, ...] = ("fact", "limit", "value")
MAX_SENTENCE = 300

_SAYING_OF_OUTCOME: dict[str, Saying] = {"pass": "met", "fail": "unmet", "missing": "missing"}

_YES: Text = {"he": "כן", "ar": "نعم", "en": "yes"}
_NO: Text = {"he": "לא", "ar": "لا", "en": "no"}
_NONE: Text = {"he": "ללא", "ar": "لا شيء", "en": "none"}
_OR: Text = {"he": " או ", "ar": " أو ", "en": " or "}


@dataclass(frozen=True)
class Says:
    """A comparison's sentences, by outcome; an outcome left out keeps the engine's form."""

    met: Text | None = None
    unmet: Text | None = None
    missing: Text | None = None

    def sentence(self, saying: Saying) -> Text | None:
        found: Text | None = getattr(self, saying)
        return found

    def unsaid(self) -> tuple[Saying, ...]:
        """The outcomes this condition has no sentence for."""
        return tuple(saying for saying in SAYINGS if self.sentence(saying) is None)


def _problem(path: str, he: str, ar: str, en: str) -> InvalidRule:
    return InvalidRule(RuleProblem(path, {"he": he, "ar": ar, "en": en}))


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def fillable(saying: Saying, value: object) -> tuple[str, ...]:
    """The placeholders a comparison with this value can fill when it goes this way."""
    return tuple(
        name
        for name in PLACEHOLDERS
        if not (name == "limit" and value is None) and not (name == "value" and saying == "missing")
    )


def _placeholders(sentence: str, path: str) -> list[str]:
    """The names a sentence's ``{…}`` ask for; anything but a plain name is refused."""
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(sentence)
            if name is not None
        ]
    except ValueError as exc:
        raise _problem(
            path,
            f"סוגריים מסולסלים לא מאוזנים: {exc}",
            f"أقواس معقوفة غير متوازنة: {exc}",
            f"unbalanced braces: {exc}",
        ) from exc
    for name, spec, conversion in fields:
        if not name.isidentifier() or spec or conversion:
            shown = (
                name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            )[:40]
            raise _problem(
                path,
                f"מציין מקום לא תקין: {{{shown}}}",
                f"عنصر نائب غير صالح: {{{shown}}}",
                f"not a plain placeholder: {{{shown}}}",
            )
    return [name for name, _, _ in fields]


def _sentence(raw: object, path: str, saying: Saying, condition: str, value: object) -> Text:
    if not isinstance(raw, dict) or set(raw) != set(LANGUAGES):
        raise _problem(
            path,
            "נדרש משפט בעברית, בערבית ובאנגלית (he, ar, en)",
            "مطلوب جملة بالعبرية والعربية والإنجليزية (he, ar, en)",
            "expected a sentence in each of he, ar and en",
        )
    allowed = fillable(saying, value)
    for language in LANGUAGES:
        sentence = raw[language]
        where = _join(path, language)
        if not isinstance(sentence, str) or not sentence.strip() or len(sentence) > MAX_SENTENCE:
            raise _problem(
                where,
                f"נדרש משפט של 1 עד {MAX_SENTENCE} תווים",
                f"مطلوب جملة من 1 إلى {MAX_SENTENCE} حرف",
                f"expected a sentence of 1 to {MAX_SENTENCE} characters",
            )
        for name in _placeholders(sentence, where):
            if name not in allowed:
                can = ", ".join(f"{{{n}}}" for n in allowed)
                raise _problem(
                    where,
                    f"{{{name}}} אינו מציין מקום שהתנאי {condition} יכול למלא ({saying}): {can}",
                    f"{{{name}}} ليس عنصرًا نائبًا يستطيع الشرط {condition} ملأه ({saying}): {can}",
                    f"{{{name}}} is not a placeholder {condition} can fill ({saying}): {can}",
                )
    return cast(Text, {language: raw[language].strip() for language in LANGUAGES})


def condition_text(fact: str, op: str, value: object) -> str:
    """A comparison as a rule author wrote it, to name it in a problem: ``household_parking_permits
    < 2``."""
    shown = list(value) if isinstance(value, tuple) else value
    return f"{fact} {op} {json.dumps(shown, ensure_ascii=False)}"


def parse_says(raw: object, path: str, *, fact: str, op: str, value: object) -> Says:
    """A comparison's ``says``, checked: known outcomes, every language, placeholders it can fill.

    ``path`` is where ``says`` is in the rule (``all[3].says``); a problem names it and the
    condition (``household_parking_permits < 2``)."""
    condition = condition_text(fact, op, value)
    if not isinstance(raw, dict) or not raw:
        raise _problem(
            path,
            "נדרש מיפוי של met, unmet, missing למשפטים",
            "مطلوب ربط met وunmet وmissing بجمل",
            "expected a mapping of met, unmet, missing to sentences",
        )
    unknown = sorted(str(key) for key in raw if key not in SAYINGS)
    if unknown:
        raise _problem(
            _join(path, unknown[0][:40]),
            "לא מוכר: met, unmet או missing בלבד",
            "غير معروف: met أو unmet أو missing فقط",
            "unknown: only met, unmet or missing",
        )
    sentences = {
        saying: _sentence(raw[saying], _join(path, saying), saying, condition, value)
        for saying in SAYINGS
        if saying in raw
    }
    return Says(**sentences)


def show(value: object, language: Language, fact: str | None = None) -> str:
    """A value as a sentence says it: numbers grouped, yes/no and known values named, a list as
    "a or b"."""
    if value is None:
        return _NONE[language]
    if isinstance(value, bool):
        return (_YES if value else _NO)[language]
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return _OR[language].join(show(item, language, fact) for item in value)
    if isinstance(value, Named):
        return value.names[language]
    known = known_fact(fact) if fact is not None else None
    named = known.show(value, language) if known is not None else None
    return named if named is not None else str(value)


def worded(
    says: Says | None,
    outcome: str,
    *,
    fact: str,
    limit: object,
    actual: object,
) -> Text | None:
    """The sentence for how a comparison went, with its values filled in each language; ``None``
    when the rule has no sentence for it."""
    sentence = says.sentence(_SAYING_OF_OUTCOME[outcome]) if says is not None else None
    if sentence is None:
        return None
    known = known_fact(fact)

    def fill(language: Language) -> str:
        values: Mapping[str, str] = {
            "fact": known.names[language] if known is not None else fact,
            "limit": show(limit, language, fact),
            "value": show(actual, language, fact),
        }
        return sentence[language].format_map(values)

    return cast(Text, {language: fill(language) for language in LANGUAGES})


def without_words(rule: object) -> object:
    """A rule as JSON with every ``says`` taken out: what it decides, apart from how it says so."""
    if isinstance(rule, dict):
        return {key: without_words(item) for key, item in rule.items() if key != "says"}
    if isinstance(rule, list):
        return [without_words(item) for item in rule]
    return rule


def together(texts: Iterable[str]) -> str:
    """Several reasons as one text: sentences one after another, the engine's forms by "; "."""
    parts = list(texts)
    whole = all(part.rstrip().endswith((".", "!", "?", "؟")) for part in parts)
    return (" " if whole else "; ").join(parts)
