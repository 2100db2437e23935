"""The demo: the demo resident finds a welcome message in her inbox, once however often it loads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from messages.service import inbox
from resident_card.accounts.repository import UserRepository
from tests.conftest import FreshDatabase
from toshav.cli import main
from toshav.settings import get_settings

# A database of its own, but nothing raced or timed: runs beside other tests (tests/conftest.py).
pytestmark = pytest.mark.beside_others


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
    today = datetime.now(ZoneInfo(fresh_database.settings.city_time_zone)).date()
    with fresh_database.session() as session:
        user = UserRepository(session).by_username("resident")
        assert user is not None
        first = inbox.inbox(session, user.id, today=today, limit=50, offset=0)
    again = toshav.invoke(main, ["demo", "load"])

    assert loaded.exit_code == 0, loaded.output
    assert again.exit_code == 0, again.output
    assert "messages: a welcome message" in loaded.output
    assert "messages: a notice of the city for Hadar, for 30 days" in loaded.output
    assert "messages: the city's notice for Hadar is there already" in again.output
    with fresh_database.session() as session:
        found = inbox.inbox(session, user.id, today=today, limit=50, offset=0)
        assert found.total == first.total  # loading again posts nothing new
        [welcome] = [item for item in found.items if item.title["en"] == "Welcome to Toshav"]
        assert welcome.link == "/wallet#card"
        assert welcome.read_at is None
        # The demo resident lives on Herzl Street, in Hadar: the city's notice for it is there.
        [notice] = [item for item in found.items if item.category == "notice"]
        assert notice.title["en"] == "Water works on Herzl Street"
