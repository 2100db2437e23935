"""What the eligibility API and the programme files take and give."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, model_validator

from benefits.eligibility.models import AllowancePeriod, BenefitUnit, ProgrammeStatus
from kernel.kit.integers import WholeNumber

ProgrammeCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$", min_length=2, max_length=64)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
# A moment: with a UTC offset it is exact; a day ("2026-12-01") or a time without an offset is read
# on the city's clock (a day means its midnight in the city's time zone). datetime first: pydantic
# would otherwise read "2026-12-01T00:00:00Z" as a bare day.
Moment = datetime | date


class Texts(BaseModel):
    """One text in each of the city's languages."""

    model_config = ConfigDict(extra="forbid")

    he: Name
    ar: Name
    en: Name


class Descriptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    he: Description = ""
    ar: Description = ""
    en: Description = ""


class Allowance(BaseModel):
    """An amount credited every period: ``{"amount": 120, "period": "month"}``."""

    model_config = ConfigDict(extra="forbid")

    amount: WholeNumber = Field(gt=0, le=100_000_000)
    period: AllowancePeriod = AllowancePeriod.month


class ProgrammeCreate(BaseModel):
    """A new programme. Dates are days of the city's calendar or exact moments; ``active_to`` is
    the first moment it no longer runs (``null``: open-ended)."""

    model_config = ConfigDict(extra="forbid")

    code: ProgrammeCode
    names: Texts
    descriptions: Descriptions = Field(default_factory=Descriptions)
    unit: BenefitUnit | None = None
    allowance: Allowance | None = None
    active_from: Moment | None = None
    active_to: Moment | None = None

    @model_validator(mode="after")
    def _allowance_needs_unit(self) -> ProgrammeCreate:
        if self.allowance is not None and self.unit is None:
            raise ValueError("an allowance needs a unit (ILS or PARKING_MIN)")
        return self


class RetireRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Note = ""


class RuleVersionCreate(BaseModel):
    """A new rule version. It starts at ``effective_from`` (default: now) and closes the version
    then in force at that moment; an explicit ``effective_to`` ends it. A gap before it is refused
    unless ``allow_gap`` is true."""

    model_config = ConfigDict(extra="forbid")

    rule: dict[str, Any] = Field(
        description="A condition tree; a comparison may carry `says: {met, unmet, missing}`, "
        "its reason in plain words in he, ar and en, with `{fact}`, `{limit}` and `{value}`."
    )
    effective_from: Moment | None = None
    effective_to: Moment | None = None
    allow_gap: bool = False
    note: Note | None = None


class ProgrammeOut(BaseModel):
    code: str
    names: Texts
    descriptions: Descriptions
    unit: BenefitUnit | None
    allowance: Allowance | None
    active_from: datetime
    active_to: datetime | None
    status: ProgrammeStatus
    retired_at: datetime | None
    created_at: datetime


class RuleVersionOut(BaseModel):
    programme: str
    version: int
    rule: dict[str, Any]
    effective_from: datetime
    effective_to: datetime | None
    note: str | None
    retired_at: datetime | None
    created_at: datetime


class ReasonOut(BaseModel):
    """One condition's verdict: ``text`` in the caller's language, and the same in structured form."""

    path: str
    kind: Literal["all", "any", "not", "compare", "programme"]
    outcome: Literal["pass", "fail", "missing"]
    text: str = Field(
        description="the reason in plain words (the rule's sentence, values filled in); "
        "a condition without one reads as its expression"
    )
    expression: str = Field(
        description="the condition and its verdict in the engine's form, e.g. `age 38 ≥ 67 ✗`"
    )
    fact: str | None
    op: str | None
    value: JsonValue
    actual: JsonValue


class DecisionOut(BaseModel):
    id: uuid.UUID
    programme: str
    rule_version: int | None
    resident_id: uuid.UUID
    outcome: Literal["eligible", "not_eligible"]
    eligible: bool
    facts: dict[str, JsonValue]
    reasons: list[ReasonOut]
    decided_at: datetime
    reference: str
    appeal_id: uuid.UUID | None = Field(
        default=None, description="A decision a clerk made on appeal names the appeal."
    )


class ProgrammeSummary(BaseModel):
    """A programme as a resident sees it."""

    code: str
    name: str
    description: str
    unit: BenefitUnit | None
    allowance: Allowance | None


class BenefitOut(BaseModel):
    """One running programme, and whether the caller is eligible for it now, and why."""

    programme: ProgrammeSummary
    eligible: bool
    outcome: Literal["eligible", "not_eligible"]
    rule_version: int | None
    reasons: list[ReasonOut]


class MyBenefits(BaseModel):
    resident_id: uuid.UUID
    language: Literal["he", "ar", "en"]
    benefits: list[BenefitOut]


# --- the programme files (benefits/eligibility/programmes/*.yaml) and their rule tests --------------


class RuleDefinition(BaseModel):
    """A rule version in a programme file."""

    model_config = ConfigDict(extra="forbid")

    effective_from: Moment
    effective_to: Moment | None = None
    allow_gap: bool = False
    note: Note | None = None
    rule: dict[str, Any]


class ProgrammeDefinition(BaseModel):
    """A programme file: the programme and its rule versions, oldest first."""

    model_config = ConfigDict(extra="forbid")

    code: ProgrammeCode
    names: Texts
    descriptions: Descriptions = Field(default_factory=Descriptions)
    unit: BenefitUnit | None = None
    allowance: Allowance | None = None
    active_from: Moment
    active_to: Moment | None = None
    rules: list[RuleDefinition] = Field(min_length=1, max_length=100)

    def programme(self) -> ProgrammeCreate:
        return ProgrammeCreate(
            code=self.code,
            names=self.names,
            descriptions=self.descriptions,
            unit=self.unit,
            allowance=self.allowance,
            active_from=self.active_from,
            active_to=self.active_to,
        )


class RuleTestCase(BaseModel):
    """One case: facts in, the expected outcome, and (optionally) reasons that must be among those
    given: a text (in any language) or the structured fields to match (``{fact: age, outcome: fail}``).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    facts: dict[str, JsonValue] = Field(default_factory=dict)
    expect: Literal["eligible", "not_eligible"]
    reasons: list[str | dict[str, JsonValue]] | None = None
    at: Moment | None = None


class RuleTestFile(BaseModel):
    """A file of rule tests for one programme. ``rule`` inline, or the programme file's version in
    force at ``at`` (default: its newest version)."""

    model_config = ConfigDict(extra="forbid")

    programme: ProgrammeCode
    rule: dict[str, Any] | None = None
    at: Moment | None = None
    cases: list[RuleTestCase] = Field(min_length=1)
