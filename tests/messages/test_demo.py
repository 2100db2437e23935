"""The demo: the demo resident finds a welcome message in her inbox, once however often it loads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from messages.service import inbox
from resident_card.accounts.repository import UserRepository
from tests.conftest import FreshDatabase
from toshav.cli import main
from toshav.settings import get_settings


@pytest.fixture
def toshav(
    fresh_database: FreshDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """The ``toshav`` command over a database of the test's own."""
    monkeypatch.setenv("TOSHAV_DATABASE_URL", fresh_database.url)
    monkeypatch.setenv("TOSHAV_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_demo_resident_is_welcomed_once(
    fresh_database: FreshDatabase, toshav: CliRunner
) -> None:
    loaded = toshav.invoke(main, ["demo", "load"])
    again = toshav.invoke(main, ["demo", "load"])

    assert loaded.exit_code == 0, loaded.output
    assert again.exit_code == 0, again.output
    assert "messages: a welcome message" in loaded.output
    with fresh_database.session() as session:
        user = UserRepository(session).by_username("resident")
        assert user is not None
        found = inbox.inbox(session, user.id, limit=10, offset=0)
        assert (found.total, found.unread) == (1, 1)
        [welcome] = found.messages
        assert welcome.title("en") == "Welcome to Toshav"
        assert welcome.link == "/wallet#card"
