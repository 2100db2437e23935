"""``toshav users``: open, disable, enable and list staff accounts from the command line.

Everything is audited with no actor (the command line). Messages follow the terminal's language
(``TOSHAV_LANGUAGE``, else ``LC_ALL``/``LC_MESSAGES``/``LANG``; Hebrew when none of ours is set).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from kernel.console import command_settings, terminal_language, unit_of_work
from kernel.errors import ToshavError
from kernel.i18n import Language, Text, render
from resident_card.accounts import service
from resident_card.accounts.models import Role

PASSWORD: Text = {"he": "סיסמה", "ar": "كلمة المرور", "en": "Password"}
REPEAT: Text = {
    "he": "הקלידו שוב את הסיסמה",
    "ar": "أعد كتابة كلمة المرور",
    "en": "Repeat the password",
}
MISMATCH: Text = {
    "he": "הסיסמאות אינן זהות.",
    "ar": "كلمتا المرور غير متطابقتين.",
    "en": "The two passwords differ.",
}
NO_PASSWORD: Text = {
    "he": "לא התקבלה סיסמה בקלט התקני.",
    "ar": "لم تُستلم كلمة مرور من الإدخال القياسي.",
    "en": "No password came on standard input.",
}
CREATED: Text = {
    "he": "נפתח משתמש {username} ({roles}).",
    "ar": "تم إنشاء المستخدم {username} ({roles}).",
    "en": "User {username} created ({roles}).",
}
DISABLED: Text = {
    "he": "המשתמש {username} הושבת.",
    "ar": "تم تعطيل المستخدم {username}.",
    "en": "User {username} disabled.",
}
ENABLED: Text = {
    "he": "המשתמש {username} הופעל מחדש.",
    "ar": "تم تفعيل المستخدم {username} من جديد.",
    "en": "User {username} enabled.",
}
ACTIVE: Text = {"he": "פעיל", "ar": "نشط", "en": "active"}
INACTIVE: Text = {"he": "מושבת", "ar": "معطّل", "en": "disabled"}
NONE_FOUND: Text = {"he": "אין משתמשים.", "ar": "لا يوجد مستخدمون.", "en": "No users."}

ROLE_NAMES = [role.value for role in Role]


@contextmanager
def _said_in(language: Language) -> Iterator[None]:
    """Turn the service's errors into a clean message and a non-zero exit."""
    try:
        yield
    except ToshavError as exc:
        raise click.ClickException(exc.detail(language)) from exc


def _read_password(from_stdin: bool, language: Language) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.ClickException(NO_PASSWORD[language])
        return line
    password: str = click.prompt(PASSWORD[language], hide_input=True)
    again: str = click.prompt(REPEAT[language], hide_input=True)
    if password != again:
        raise click.ClickException(MISMATCH[language])
    return password


@click.group()
def users() -> None:
    """Staff accounts: create, disable, enable, list."""


@users.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLE_NAMES),
    help="inspector, merchant, admin (a city clerk) or auditor; repeat for several.",
)
@click.option("--display-name", default=None, help="The name the person goes by.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input, one line."
)
def create(
    username: str, roles: tuple[str, ...], display_name: str | None, password_stdin: bool
) -> None:
    """Open a staff account. The password is asked for twice, hidden, unless --password-stdin."""
    language = terminal_language()
    settings = command_settings()
    password = _read_password(password_stdin, language)
    with _said_in(language), unit_of_work(settings) as session:
        user = service.create_staff_user(
            session,
            settings,
            username=username,
            password=password,
            roles=[Role(role) for role in roles],
            display_name=display_name,
            actor_id=None,
        )
        message = render(CREATED, language, username=user.username, roles=", ".join(user.roles))
    click.echo(message)


def _set_active(username: str, reason: str, *, active: bool) -> None:
    language = terminal_language()
    settings = command_settings()
    with _said_in(language), unit_of_work(settings) as session:
        user = service.get_user_by_username(session, username)
        service.set_active(
            session, user=user, active=active, actor_id=None, reason=reason, now=datetime.now(UTC)
        )
        message = render(ENABLED if active else DISABLED, language, username=user.username)
    click.echo(message)


@users.command("disable")
@click.argument("username")
@click.option("--reason", required=True, help="Why; kept in the audit log.")
def disable(username: str, reason: str) -> None:
    """Disable an account: it cannot sign in, and its tokens stop working."""
    _set_active(username, reason, active=False)


@users.command("enable")
@click.argument("username")
@click.option("--reason", required=True, help="Why; kept in the audit log.")
def enable(username: str, reason: str) -> None:
    """Enable a disabled account again."""
    _set_active(username, reason, active=True)


@users.command("list")
@click.option("--role", type=click.Choice(ROLE_NAMES), default=None)
def list_(role: str | None) -> None:
    """List the accounts: username, roles, active or disabled."""
    language = terminal_language()
    settings = command_settings()
    lines: list[str] = []
    with unit_of_work(settings) as session:
        offset = 0
        while True:
            page, total = service.list_users(
                session, role=Role(role) if role else None, limit=200, offset=offset
            )
            for user in page:
                state = ACTIVE if user.is_active else INACTIVE
                lines.append(f"{user.username}\t{','.join(user.roles)}\t{state[language]}")
            offset += len(page)
            if not page or offset >= total:
                break
    for line in lines or [NONE_FOUND[language]]:
        click.echo(line)
