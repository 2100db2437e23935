"""``toshav users``: staff accounts from the command line, on a database of the test's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from resident_card.accounts import service
from resident_card.accounts.exceptions import InvalidCredentials
from resident_card.accounts.models import User
from resident_card.audit.models import AuditEntry
from tests.conftest import FreshDatabase
from tests.factories import create_user
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others

Toshav = Callable[..., Result]
PASSWORD = "inspector-passphrase"


@pytest.fixture
def toshav(fresh_database: FreshDatabase, tmp_path: Path) -> Iterator[Toshav]:
    """Run ``toshav …`` against the fresh database, in English unless told otherwise."""
    environment: dict[str, str | None] = {
        "TOSHAV_ENV": "development",
        "TOSHAV_DATABASE_URL": fresh_database.url,
        "TOSHAV_VAR_DIR": str(tmp_path),
        "TOSHAV_ID_HASH_KEY": "cli-test-id-hash-key-" + "x" * 32,
        "TOSHAV_LANGUAGE": None,
        "LC_ALL": None,
        "LC_MESSAGES": None,
        "LANG": "en_US.UTF-8",
    }

    def run(*args: str, input: str | None = None, **env: str | None) -> Result:
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(main, list(args), input=input, env={**environment, **env})
        finally:
            get_settings.cache_clear()

    yield run
    get_settings.cache_clear()


def user_named(database: FreshDatabase, username: str) -> User | None:
    with database.session() as session:
        return session.scalar(select(User).where(User.username == username))


def audit_of(database: FreshDatabase, user: User) -> list[AuditEntry]:
    with database.session() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject_id == str(user.id))
                .order_by(AuditEntry.created_at)
            ).all()
        )


def signs_in(database: FreshDatabase, username: str, password: str) -> bool:
    with database.session() as session:
        try:
            service.authenticate(
                session,
                database.settings,
                username=username,
                password=password,
                client="command line",
                now=datetime.now(UTC),
            )
        except InvalidCredentials:
            return False
        return True


def test_create_with_the_password_on_stdin(toshav: Toshav, fresh_database: FreshDatabase) -> None:
    result = toshav(
        "users",
        "create",
        "Clerk.Two",
        "--role",
        "admin",
        "--display-name",
        "Second clerk",
        "--password-stdin",
        input=PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert result.output == "User clerk.two created (admin).\n"
    user = user_named(fresh_database, "clerk.two")
    assert user is not None
    assert (user.roles, user.display_name, user.is_active) == (["admin"], "Second clerk", True)
    assert signs_in(fresh_database, "clerk.two", PASSWORD)
    [entry] = audit_of(fresh_database, user)
    assert (entry.action, entry.actor_id) == ("user.create", None)
    assert PASSWORD not in str([entry.before, entry.after, entry.reason])


def test_create_asks_for_the_password_twice_without_showing_it(
    toshav: Toshav, fresh_database: FreshDatabase
) -> None:
    result = toshav(
        "users",
        "create",
        "insp",
        "--role",
        "inspector",
        "--role",
        "auditor",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "Password: " in result.output
    assert "Repeat the password: " in result.output
    assert PASSWORD not in result.output
    assert "User insp created (auditor, inspector)." in result.output
    assert signs_in(fresh_database, "insp", PASSWORD)


def test_two_different_passwords_create_nobody(
    toshav: Toshav, fresh_database: FreshDatabase
) -> None:
    result = toshav(
        "users", "create", "insp", "--role", "inspector", input=f"{PASSWORD}\nsomething-else\n"
    )

    assert result.exit_code == 1
    assert "The two passwords differ." in result.output
    assert user_named(fresh_database, "insp") is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10 characters"),
        ("a" * 1025, "at most 1024 bytes"),
        ("ש" * 513, "at most 1024 bytes"),
        ("long-enough\x00with-NUL", "at most 1024 bytes"),
        ("", "No password came on standard input."),
    ],
    ids=["short", "1025 bytes", "1026 bytes of Hebrew", "NUL", "empty"],
)
def test_a_password_the_rules_refuse_creates_nobody(
    password: str, message: str, toshav: Toshav, fresh_database: FreshDatabase
) -> None:
    result = toshav(
        "users", "create", "insp", "--role", "inspector", "--password-stdin", input=password + "\n"
    )

    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert user_named(fresh_database, "insp") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("dana", "--role", "resident"), "Resident accounts are opened when a resident enrols"),
        (("with space", "--role", "admin"), "A username is 3 to 150 Latin letters"),
        (("ab", "--role", "admin"), "A username is 3 to 150 Latin letters"),
        (("insp", "--role", "admin", "--display-name", "tab\there"), "display_name"),
    ],
    ids=["resident", "space in username", "too short", "control character in name"],
)
def test_an_account_the_rules_refuse_is_a_clear_error(
    args: tuple[str, ...], message: str, toshav: Toshav, fresh_database: FreshDatabase
) -> None:
    result = toshav("users", "create", *args, "--password-stdin", input=PASSWORD + "\n")

    assert result.exit_code == 1, result.output
    assert message in result.output
    with fresh_database.session() as session:
        assert session.scalars(select(User)).all() == []


def test_a_taken_username_is_refused(toshav: Toshav) -> None:
    first = toshav(
        "users", "create", "insp", "--role", "inspector", "--password-stdin", input=PASSWORD
    )
    again = toshav("users", "create", "INSP", "--role", "admin", "--password-stdin", input=PASSWORD)

    assert first.exit_code == 0, first.output
    assert again.exit_code == 1
    assert "This username is already taken." in again.output


def test_an_unknown_role_is_a_usage_error(toshav: Toshav) -> None:
    result = toshav(
        "users", "create", "insp", "--role", "mayor", "--password-stdin", input=PASSWORD
    )
    assert result.exit_code == 2
    assert "mayor" in result.output


def test_messages_follow_the_terminal_language(toshav: Toshav) -> None:
    hebrew = toshav(
        "users",
        "create",
        "insp",
        "--role",
        "inspector",
        "--password-stdin",
        input=PASSWORD,
        LANG="he_IL.UTF-8",
    )
    arabic = toshav("users", "disable", "nobody", "--reason", "x", TOSHAV_LANGUAGE="ar")

    assert hebrew.output == "נפתח משתמש insp (inspector).\n"
    assert arabic.exit_code == 1
    assert "المستخدم غير موجود." in arabic.output


def test_disable_and_enable_with_a_reason(toshav: Toshav, fresh_database: FreshDatabase) -> None:
    with fresh_database.session() as session:
        create_user(session, fresh_database.settings, username="dana.levi")
        session.commit()

    disabled = toshav("users", "disable", "Dana.Levi", "--reason", "Left the city's service")

    assert disabled.exit_code == 0, disabled.output
    assert disabled.output == "User dana.levi disabled.\n"
    user = user_named(fresh_database, "dana.levi")
    assert user is not None
    assert not user.is_active
    assert not signs_in(fresh_database, "dana.levi", "correct-horse-battery")

    enabled = toshav("users", "enable", "dana.levi", "--reason", "Came back")

    assert enabled.exit_code == 0, enabled.output
    assert signs_in(fresh_database, "dana.levi", "correct-horse-battery")
    entries = audit_of(fresh_database, user)
    assert [(e.action, e.actor_id, e.reason) for e in entries] == [
        ("user.disable", None, "Left the city's service"),
        ("user.enable", None, "Came back"),
    ]


def test_disable_needs_a_reason_and_someone_to_disable(toshav: Toshav) -> None:
    no_reason = toshav("users", "disable", "dana.levi")
    blank_reason = toshav("users", "disable", "dana.levi", "--reason", "  ")
    nobody = toshav("users", "disable", "nobody", "--reason", "x")

    assert no_reason.exit_code == 2
    assert "--reason" in no_reason.output
    assert blank_reason.exit_code == 1
    assert nobody.exit_code == 1
    assert "No such user." in nobody.output


def test_list_shows_every_account_and_filters_by_role(
    toshav: Toshav, fresh_database: FreshDatabase
) -> None:
    empty = toshav("users", "list")
    with fresh_database.session() as session:
        settings = fresh_database.settings
        create_user(session, settings, username="clerk", role="admin")
        create_user(session, settings, username="dana.levi", is_active=False)
        create_user(session, settings, username="insp", role="inspector")
        session.commit()

    everyone = toshav("users", "list")
    inspectors = toshav("users", "list", "--role", "inspector")

    assert empty.output == "No users.\n"
    assert everyone.exit_code == 0, everyone.output
    assert everyone.output.splitlines() == [
        "clerk\tadmin\tactive",
        "dana.levi\tresident\tdisabled",
        "insp\tinspector\tactive",
    ]
    assert inspectors.output.splitlines() == ["insp\tinspector\tactive"]
