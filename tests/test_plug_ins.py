"""The domains' plug-ins and settings, as the composition root puts them together: what a domain
switched off brings (nothing), what installing again does (replaces, never duplicates), and the one
settings class that reads every domain's environment."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from sqlalchemy.orm import Session

from benefits.eligibility.rules.known_facts import known_fact, switched_off_fact
from benefits.eligibility.service.programme_files import (
    PROGRAMMES_FOLDER,
    ProgrammeFileError,
    load_programmes,
    read_programme_files,
)
from kernel.settings import Settings
from resident_card.cards import summary
from resident_card.cards.summary import CardLines
from resident_card.credentials import holders
from resident_card.credentials.service import KeyHolders
from toshav import plug_ins
from toshav.app import create_app
from toshav.cli import main
from toshav.domains import CORE, EVERY, OPTIONAL
from toshav.settings import ServiceSettings, get_settings

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
PARKING_FACTS = ("parking_zone", "vehicle_in_household", "household_parking_permits")


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The process's environment, read afresh by the next ``get_settings``."""
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _commands() -> list[str]:
    """The commands ``toshav --help`` lists."""
    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0, listed.output
    section = listed.output.split("Commands:")[1]
    return [line.split()[0] for line in section.splitlines() if re.match(r"^  \S", line)]


def _of(kind: type[object]) -> list[object]:
    return [p for manifest in EVERY for p in manifest.plug_ins if isinstance(p, kind)]


def test_installing_again_replaces_and_never_duplicates() -> None:
    plug_ins.install(EVERY)
    plug_ins.install(EVERY)

    assert list(summary.installed()) == _of(CardLines)
    assert len(summary.installed()) == 2  # the ledger's balances and cashback's line
    assert list(holders.installed()) == _of(KeyHolders) != []

    plug_ins.install(CORE)

    assert [p.summary.__name__ for p in summary.installed() if p.summary] == ["wallet_lines"]
    assert holders.installed() == ()


def test_the_facts_of_a_domain_switched_off_are_unknown_and_set_aside() -> None:
    plug_ins.install(CORE)

    assert all(known_fact(name) is None for name in PARKING_FACTS)
    assert all(switched_off_fact(name) is not None for name in PARKING_FACTS)

    plug_ins.install((*CORE, OPTIONAL["parking"]))

    assert all(known_fact(name) is not None for name in PARKING_FACTS)
    assert all(switched_off_fact(name) is None for name in PARKING_FACTS)


def test_with_parking_off_its_programme_is_set_aside_not_loaded(session: Session) -> None:
    plug_ins.install((*CORE, OPTIONAL["cashback"]))

    report = load_programmes(session, now=NOW)

    assert report.set_aside == {"resident_parking_permit": PARKING_FACTS}
    assert sorted(report.programmes_created) == [
        "cashback_resident",
        "parking_free_minutes",
        "senior_extra_parking",
    ]
    assert "resident_parking_permit" not in read_programme_files()


def test_with_parking_off_a_fact_nobody_knows_is_still_an_error(tmp_path: Path) -> None:
    plug_ins.install(CORE)
    shipped = (PROGRAMMES_FOLDER / "senior_extra_parking.yaml").read_text(encoding="utf-8")
    misspelt = re.sub(r"\bfact: age\b", "fact: agee", shipped)
    assert misspelt != shipped, "the shipped programme names the fact age"
    (tmp_path / "senior.yaml").write_text(misspelt, encoding="utf-8")

    with pytest.raises(ProgrammeFileError, match="unknown fact: agee"):
        read_programme_files(tmp_path)


def test_with_every_domain_off_the_command_line_has_none_of_their_commands(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TOSHAV_MODULES", "[]")

    commands = _commands()
    parking = CliRunner().invoke(main, ["parking", "reconcile"])
    cashback = CliRunner().invoke(main, ["cashback", "release-holds"])

    assert not {"parking", "cashback"} & set(commands)
    assert {"keys", "rules"} <= set(commands)
    assert parking.exit_code == cashback.exit_code == 2
    assert "No such command 'parking'" in parking.output


def test_with_parking_alone_the_command_line_has_parking_and_not_cashback(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TOSHAV_MODULES", '["parking"]')

    commands = _commands()

    assert "parking" in commands
    assert "cashback" not in commands


def test_with_parking_off_the_rule_test_of_its_programme_says_why_it_cannot_run(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TOSHAV_MODULES", '["cashback"]')

    result = CliRunner().invoke(
        main,
        [
            "rules",
            "test",
            "--language",
            "en",
            str(PROGRAMMES_FOLDER / "tests" / "resident_parking_permit.yaml"),
        ],
    )

    assert result.exit_code == 2
    assert "names facts of a domain this deployment does not run: parking_zone" in result.output


def test_the_service_settings_are_every_domain_s() -> None:
    bases = {manifest.settings for manifest in EVERY if manifest.settings is not None}

    assert bases
    assert set(ServiceSettings.__bases__) == bases


def test_no_app_is_made_from_settings_without_a_running_domain_s_fields(tmp_path: Path) -> None:
    kernel_only = Settings(modules=["cashback"], var_dir=tmp_path)

    # The first running domain with settings of its own, messages (always on), is named.
    with pytest.raises(TypeError, match="has no MessagesSettings fields"):
        create_app(kernel_only)


def test_every_domain_s_environment_is_read_and_checked_with_the_domain_off(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("TOSHAV_MODULES", "[]")
    environment.setenv("TOSHAV_PARKING_MAX_VEHICLES_PER_HOUSEHOLD", "5")
    environment.setenv("TOSHAV_CASHBACK_RETURN_WINDOW_DAYS", "7")

    settings = get_settings()

    assert settings.modules == []
    assert settings.parking_max_vehicles_per_household == 5
    assert settings.cashback_return_window_days == 7
    environment.setenv("TOSHAV_CASHBACK_REPEATS_PER_DAY", "1")  # at least 2
    get_settings.cache_clear()
    with pytest.raises(ValidationError, match="cashback_repeats_per_day"):
        get_settings()
