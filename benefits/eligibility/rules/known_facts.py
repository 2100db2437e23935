"""The facts a rule may name: each with its type, its names in three languages, and the names of
its known values. The engine knows the resident's own facts (``BUILT_IN``); the facts other domains
know (parking: ``parking_zone``, ``vehicle_count``) are installed by the composition root from the
enabled domains' manifests (``benefits.eligibility.service.facts.install``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeAlias

from kernel.i18n import LANGUAGES, Language, Text

MAX_FACT_NAME = 64

FactType: TypeAlias = type[int] | type[str] | type[bool]

_TYPE_NAMES: dict[FactType, str] = {int: "int", str: "str", bool: "bool"}


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

    def __post_init__(self) -> None:
        name = self.name
        if self.type not in _TYPE_NAMES:
            raise ValueError(f"fact {name!r}: type must be int, str or bool")
        if not name or len(name) > MAX_FACT_NAME or not name.replace("_", "").isalnum():
            raise ValueError(f"fact {name!r}: a name of letters, digits and underscores")
        if not _in_every_language(self.names):
            raise ValueError(f"fact {name!r}: names in he, ar and en are required")
        for value, value_names in self.values.items():
            if not _in_every_language(value_names):
                raise ValueError(
                    f"fact {name!r}, value {value!r}: names in he, ar and en are required"
                )

    @property
    def type_name(self) -> str:
        return _TYPE_NAMES[self.type]

    def show(self, value: object, language: Language) -> str | None:
        """This fact's value named in a language, when it is a value with names."""
        names = self.values.get(value) if isinstance(value, str) else None
        return names[language] if names is not None else None


def _in_every_language(names: Text) -> bool:
    return set(names) == set(LANGUAGES) and all(names[language] for language in LANGUAGES)


# The resident's own facts, which every deployment knows (``resident_card`` answers them).
BUILT_IN: tuple[Fact, ...] = (
    Fact("age", int, {"he": "גיל", "ar": "العمر", "en": "age"}),
    Fact(
        "residency_status",
        str,
        {"he": "סטטוס תושבות", "ar": "حالة الإقامة", "en": "residency status"},
        values={
            "pending": {
                "he": "ממתין לאימות",
                "ar": "بانتظار التحقق",
                "en": "waiting for verification",
            },
            "verified": {"he": "מאומת", "ar": "موثَّق", "en": "verified"},
            "rejected": {"he": "נדחה", "ar": "مرفوض", "en": "rejected"},
            "suspended": {"he": "מושעה", "ar": "معلَّق", "en": "suspended"},
            "moved_out": {"he": "עבר מהעיר", "ar": "انتقل من المدينة", "en": "moved out"},
        },
    ),
    Fact(
        "months_of_residency",
        int,
        {"he": "חודשי תושבות", "ar": "أشهر الإقامة", "en": "months of residency"},
    ),
    Fact("neighbourhood", str, {"he": "שכונה", "ar": "الحي", "en": "neighbourhood"}, nullable=True),
    Fact(
        "household_size", int, {"he": "גודל משק הבית", "ar": "حجم الأسرة", "en": "household size"}
    ),
    Fact("is_minor", bool, {"he": "קטין", "ar": "قاصر", "en": "minor"}),
    Fact(
        "identifier_kind",
        str,
        {"he": "סוג מזהה", "ar": "نوع الهوية", "en": "identifier kind"},
        values={
            "israeli_id": {"he": "תעודת זהות", "ar": "بطاقة هوية", "en": "Israeli ID"},
            "passport": {"he": "דרכון", "ar": "جواز سفر", "en": "passport"},
            "foster_care": {"he": "אומנה", "ar": "رعاية بديلة", "en": "foster care"},
            "other": {"he": "אחר", "ar": "آخر", "en": "other"},
        },
    ),
    Fact("disability", bool, {"he": "מוגבלות", "ar": "إعاقة", "en": "disability"}),
)


def _by_name(facts: Iterable[Fact]) -> dict[str, Fact]:
    """Facts by name; the same fact twice is harmless, two definitions under one name are not."""
    found: dict[str, Fact] = {}
    for fact in facts:
        existing = found.get(fact.name)
        if existing is not None and existing != fact:
            raise ValueError(f"fact {fact.name!r} is defined twice, differently")
        found[fact.name] = fact
    return found


# Replaced whole by ``install``, never changed in place, so a reader never sees half of one.
_known: Mapping[str, Fact] = MappingProxyType(_by_name(BUILT_IN))
_switched_off: Mapping[str, Fact] = MappingProxyType({})


def install(facts: Iterable[Fact], *, switched_off: Iterable[Fact] = ()) -> None:
    """Make the built-in facts and these known to rules, in place of those installed before.

    ``switched_off``: the facts of domains this deployment does not run. Rules naming one are
    refused like any unknown fact, but a programme file naming one is set aside, not an error.
    """
    global _known, _switched_off
    known = _by_name((*BUILT_IN, *facts))
    off = {name: fact for name, fact in _by_name(switched_off).items() if name not in known}
    _known, _switched_off = MappingProxyType(known), MappingProxyType(off)


def known_facts() -> Mapping[str, Fact]:
    """Every fact rules may name, by name."""
    return _known


def known_fact(name: str) -> Fact | None:
    """The fact a rule names, or ``None`` when the city does not know it (yet)."""
    return _known.get(name)


def switched_off_fact(name: str) -> Fact | None:
    """The fact of a domain this deployment does not run, or ``None``."""
    return _switched_off.get(name)
