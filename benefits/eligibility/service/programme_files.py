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
from benefits.eligibility.rules.known_facts import switched_off_fact
from benefits.eligibility.rules.parsing import check_rule, facts_named, parse_rule
from benefits.eligibility.schemas import ProgrammeDefinition, RuleVersionCreate
from benefits.eligibility.service.city_clock import city_zone, to_moment
from benefits.eligibility.service.programmes import create_programme
from benefits.eligibility.service.rule_versions import create_rule_version, reword_rule_version
from kernel.errors import describe_validation

PROGRAMMES_FOLDER = Path(__file__).resolve().parent.parent / "programmes"


class ProgrammeFileError(Exception):
    """A programme file or rule-test file that cannot be read; the message names the file."""


class ProgrammeSetAside(ProgrammeFileError):
    """A programme file whose rules name facts of a domain this deployment does not run (a
    parking permit, with parking off): it is not loaded, and that is not an error."""

    def __init__(self, path: Path, code: str, facts: Sequence[str]) -> None:
        self.code = code
        self.facts = tuple(facts)
        super().__init__(
            f"{path}: {code} names facts of a domain this deployment does not run: "
            + ", ".join(self.facts)
        )


def read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ProgrammeFileError(f"{path}: cannot be read: {exc}") from exc


def read_programme_file(path: Path) -> ProgrammeDefinition:
    """A programme file, checked: its shape, and every rule in it. ``ProgrammeSetAside`` when its
    rules name facts of a domain that is switched off."""
    try:
        definition = ProgrammeDefinition.model_validate(read_yaml(path))
    except ValidationError as exc:
        raise ProgrammeFileError(f"{path}: {describe_validation(exc.errors())}") from exc
    switched_off: list[str] = []
    for index, rule in enumerate(definition.rules):
        try:
            named = facts_named(parse_rule(rule.rule))
            off = [name for name in named if switched_off_fact(name) is not None]
            if not off:
                check_rule(rule.rule)
        except InvalidRule as exc:
            raise ProgrammeFileError(
                f"{path}: rules[{index}].rule: {exc.problem.describe('en')}"
            ) from exc
        switched_off.extend(name for name in off if name not in switched_off)
    if switched_off:
        raise ProgrammeSetAside(path, definition.code, switched_off)
    return definition


ProgrammeFiles = dict[str, tuple[Path, ProgrammeDefinition]]


def _programme_files(folder: Path | None) -> tuple[ProgrammeFiles, list[ProgrammeSetAside]]:
    found: ProgrammeFiles = {}
    set_aside: list[ProgrammeSetAside] = []
    for path in sorted((folder or PROGRAMMES_FOLDER).glob("*.yaml")):
        try:
            definition = read_programme_file(path)
        except ProgrammeSetAside as aside:
            set_aside.append(aside)
            continue
        if definition.code in found:
            raise ProgrammeFileError(
                f"{path}: programme {definition.code} is also defined in {found[definition.code][0]}"
            )
        found[definition.code] = (path, definition)
    return found, set_aside


def read_programme_files(folder: Path | None = None) -> ProgrammeFiles:
    """Every programme file in a folder (``*.yaml``, not recursive) that this deployment can run,
    by programme code: those naming facts of a domain switched off are left out."""
    return _programme_files(folder)[0]


def programme_file_paths(folder: Path) -> list[Path]:
    """The programme files of a folder (``*.yaml`` with a ``code``); other YAML files there (rule
    tests, say) are passed over without being read as programmes."""
    found: list[Path] = []
    for candidate in sorted(folder.glob("*.yaml")):
        content = read_yaml(candidate)
        if isinstance(content, dict) and "code" in content:
            found.append(candidate)
    return found


def find_programme_path(code: str, folders: Sequence[Path]) -> Path | None:
    """The programme file defining ``code`` in the first of these folders that has one."""
    for folder in dict.fromkeys(f.resolve() for f in folders):
        for candidate in programme_file_paths(folder):
            content = read_yaml(candidate)
            if isinstance(content, dict) and content.get("code") == code:
                return candidate
    return None


def find_programme_file(code: str, folders: Sequence[Path]) -> ProgrammeDefinition | None:
    """The programme file defining ``code`` in the first of these folders that has one, checked."""
    path = find_programme_path(code, folders)
    return read_programme_file(path) if path is not None else None


@dataclass
class LoadReport:
    """What ``load_programmes`` did: programmes and rule versions added, what was already there,
    and the programmes set aside (not loaded) with the facts of switched-off domains they name."""

    programmes_created: list[str] = field(default_factory=list)
    versions_created: list[str] = field(default_factory=list)
    versions_reworded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    set_aside: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_programmes(
    session: Session,
    folder: Path | None = None,
    *,
    now: datetime,
    zone: ZoneInfo | None = None,
    actor_id: uuid.UUID | None = None,
) -> LoadReport:
    """Load the programme files of a folder (default: the shipped ones). Idempotent: a programme
    already there is kept as the city has it; only rule versions it lacks (by start) are added,
    and one that decides as its file does takes the file's sentences (``says``).
    A programme whose rules name facts of a domain switched off is set aside, and reported."""
    zone = city_zone(zone)
    files, set_aside = _programme_files(folder)
    report = LoadReport(set_aside={aside.code: aside.facts for aside in set_aside})
    repository = ProgrammeRepository(session)
    for code, (_path, definition) in files.items():
        programme = repository.by_code(code)
        if programme is None:
            programme = create_programme(
                session, definition.programme(), actor_id=actor_id, now=now, zone=zone
            )
            report.programmes_created.append(code)
        elif programme.status == ProgrammeStatus.retired:
            report.unchanged.append(code)
            continue
        starts = {v.effective_from: v for v in RuleVersionRepository(session).of(programme.id)}
        added = False
        for rule in definition.rules:
            there = starts.get(to_moment(rule.effective_from, zone))
            if there is not None:
                if reword_rule_version(session, programme, there, rule.rule, actor_id=actor_id):
                    report.versions_reworded.append(f"{code} v{there.version}")
                    added = True
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
