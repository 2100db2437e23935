"""What the service owes everyone: ``/source`` answers the running code (or the deployment's
published copy), and ``GET /api/v1/about`` states the retention the settings give and whom to
contact. The two pages themselves are in the every-page sweep (axe, words, fitting)."""

from __future__ import annotations

import io
import tarfile

from fastapi.testclient import TestClient
from sqlalchemy import Connection

from kernel.clock import SetClock
from kernel.settings import Settings
from tests.conftest import built_app
from toshav.obligations import ROOT

PACKAGES = ("kernel", "toshav", "resident_card", "parking", "cashback", "migrations")


def test_source_answers_a_tarball_of_the_running_code(client: TestClient) -> None:
    answer = client.get("/source")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/gzip"
    assert "attachment" in answer.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(answer.content), mode="r:gz") as archive:
        members = {m.name.split("/", 1)[1]: m for m in archive.getmembers() if m.isfile()}
        for name in ("pyproject.toml", "LICENSE", "SECURITY.md", "toshav/obligations.py"):
            extracted = archive.extractfile(members[name])
            assert extracted is not None
            assert extracted.read() == (ROOT / name).read_bytes(), name
    on_disk = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert on_disk <= set(members)
    assert not [name for name in members if "__pycache__" in name or "/secrets/" in name]
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (ROOT / "LICENSE").read_text("utf-8")


def test_source_redirects_where_the_deployment_publishes_it(
    settings: Settings, connection: Connection, clock: SetClock
) -> None:
    published = "https://code.example.city/toshav/tree/v1"
    app = built_app(
        settings.model_copy(update={"source_url": published}), clock=clock, connection=connection
    )
    with TestClient(app) as client:
        answer = client.get("/source", follow_redirects=False)

    assert answer.status_code == 302
    assert answer.headers["location"] == published


def test_about_states_the_retention_the_settings_give(
    settings: Settings, connection: Connection, clock: SetClock
) -> None:
    changed = settings.model_copy(
        update={"messages_retention_days": 40, "accessibility_coordinator_phone": "04-1234567"}
    )
    with TestClient(built_app(changed, clock=clock, connection=connection)) as client:
        about = client.get("/api/v1/about").json()

    kept = {row["kind"]: (row["days"], row["setting"]) for row in about["retention"]}
    assert kept["messages.messages"] == (40, "TOSHAV_MESSAGES_RETENTION_DAYS")
    assert kept["parking.inspection_plates"] == (90, "TOSHAV_PARKING_INSPECTION_RETENTION_DAYS")
    assert set(kept) == {
        "accounts.login_failures",
        "accounts.refresh_tokens",
        "messages.messages",
        "cashback.card_token_uses",
        "parking.inspection_plates",
        "parking.session_vehicles",
    }
    assert about["accessibility_coordinator"]["phone"] == "04-1234567"
    assert about["source"] == "/source"
