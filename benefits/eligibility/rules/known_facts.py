"""The facts a rule may name: each with its type, its names in three languages, and the names of
its known values. Other packages add theirs (``parking_zone``, ``vehicle_count``)."""

from __future__ import annotations

from collections.abc import Mapping
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


def known_fact(name: str) -> Fact | None:
    """The fact a rule names, or ``None`` when the city does not know it (yet)."""
    return _FACTS.get(name)


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
