"""Programme files: the YAML a city ships its programmes and rule versions in, read, checked and
loaded."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from benefits.eligibility.exceptions import InvalidRule
from benefits.eligibility.models import ProgrammeStatus
from benefits.eligibility.repository import ProgrammeRepository, RuleVersionRepository
from benefits.eligibility.rules.parsing import check_rule
from benefits.eligibility.schemas import ProgrammeDefinition, RuleVersionCreate
from benefits.eligibility.service.city_clock import city_zone, to_moment
from benefits.eligibility.service.programmes import create_programme
from benefits.eligibility.service.rule_versions import create_rule_version
from kernel.errors import describe_validation

PROGRAMMES_FOLDER = Path(__file__).resolve().parent.parent / "programmes"


class ProgrammeFileError(Exception):
    """A programme file or rule-test file that cannot be read; the message names the file."""


def read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProgrammeFileError(f"{path}: cannot be read: {exc}") from exc


def read_programme_file(path: Path) -> ProgrammeDefinition:
    """A programme file, checked: its shape, and every rule in it."""
    try:
        definition = ProgrammeDefinition.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise ProgrammeFileError(f"{path}: {describe_validation(exc.errors())}") from exc
    for index, rule in enumerate(definition.rules):
        try:
            check_rule(rule.rule)
        except InvalidRule as exc:
            raise ProgrammeFileError(
                f"{path}: rules[{index}].rule: {exc.problem.describe('en')}"
            ) from exc
    return definition


def read_programme_files(folder: Path | None = None) -> dict[str, tuple[Path, ProgrammeDefinition]]:
    """Every programme file in a folder (``*.yaml``, not recursive), by programme code."""
    found: dict[str, tuple[Path, ProgrammeDefinition]] = {}
    for path in sorted((folder or PROGRAMMES_FOLDER).glob("*.yaml")):
        definition = read_programme_file(path)
        if definition.code in found:
            raise ProgrammeFileError(
                f"{path}: programme {definition.code} is also defined in {found[definition.code][0]}"
            )
        found[definition.code] = (path, definition)
    return found


def find_programme_file(code: str, folders: Sequence[Path]) -> ProgrammeDefinition | None:
    """The programme file defining ``code`` in the first of these folders that has one.

    Other YAML files there (rule tests, say) are passed over without being read as programmes.
    """
    for folder in dict.fromkeys(f.resolve() for f in folders):
        for candidate in sorted(folder.glob("*.yaml")):
            content = read_yaml(candidate)
            if isinstance(content, dict) and content.get("code") == code:
                return read_programme_file(candidate)
    return None


@dataclass
class LoadReport:
    """What ``load_programmes`` did: programmes and rule versions added, and what was already there."""

    programmes_created: list[str] = field(default_factory=list)
    versions_created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def load_programmes(
    session: Session,
    folder: Path | None = None,
    *,
    now: datetime,
    zone: ZoneInfo | None = None,
    actor_id: uuid.UUID | None = None,
) -> LoadReport:
    """Load the programme files of a folder (default: the shipped ones). Idempotent: a programme
    already there is kept as the city has it; only rule versions it lacks (by start) are added."""
    zone = city_zone(zone)
    report = LoadReport()
    repository = ProgrammeRepository(session)
    for code, (_path, definition) in read_programme_files(folder).items():
        programme = repository.by_code(code)
        if programme is None:
            programme = create_programme(
                session, definition.programme(), actor_id=actor_id, now=now, zone=zone
            )
            report.programmes_created.append(code)
        elif programme.status == ProgrammeStatus.retired:
            report.unchanged.append(code)
            continue
        starts = {v.effective_from for v in RuleVersionRepository(session).of(programme.id)}
        added = False
        for rule in definition.rules:
            if to_moment(rule.effective_from, zone) in starts:
                continue
            version = create_rule_version(
                session,
                code,
                RuleVersionCreate(
                    rule=rule.rule,
                    effective_from=rule.effective_from,
                    effective_to=rule.effective_to,
                    allow_gap=rule.allow_gap,
                    note=rule.note,
                ),
                actor_id=actor_id,
                now=now,
                zone=zone,
            )
            report.versions_created.append(f"{code} v{version.version}")
            added = True
        if not added and code not in report.programmes_created:
            report.unchanged.append(code)
    return report
