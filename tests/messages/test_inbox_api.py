"""The inbox over the API: newest first in the caller's language, marking read, preferences."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel import notices
from kernel.notices import Category
from messages.models import Message, MessagePreference
from resident_card.accounts.models import User
from tests.factories import auth_headers, create_resident
from tests.messages.support import notice
from toshav.settings import ServiceSettings

ME = "/api/v1/messages/me"


def _person(
    session: Session, settings: ServiceSettings, app: FastAPI
) -> tuple[uuid.UUID, dict[str, str]]:
    resident = create_resident(session, settings, user=True)
    assert resident.user_id is not None
    return resident.user_id, auth_headers(app, session.get_one(User, resident.user_id))


def test_my_messages_newest_first_in_my_language_with_the_unread_count(
    client: TestClient, app: FastAPI, session: Session, settings: ServiceSettings
) -> None:
    account, headers = _person(session, settings, app)
    for number in (1, 2, 3):
        notices.post(session, notice(account, number))
    notices.post(session, notice(account, 4, email_only=True, category=Category.security))

    english = client.get(ME, headers=headers)
    hebrew = client.get(ME, headers={**headers, "Accept-Language": "he"})
    first_page = client.get(ME, params={"limit": 2}, headers=headers)

    assert english.status_code == 200, english.text
    body = english.json()
    assert [item["title"] for item in body["items"]] == [
        "Your residency is verified 3",
        "Your residency is verified 2",
        "Your residency is verified 1",
    ]
    assert body["total"] == 3
    assert body["unread"] == 3
    assert body["limit"] == 50
    assert body["offset"] == 0
    assert set(body["items"][0]) == {
        "id", "category", "title", "body", "link", "created_at", "read_at",
    }  # fmt: skip
    assert body["items"][0]["category"] == "residency"
    assert body["items"][0]["body"] == "You can use your resident card."
    assert body["items"][0]["link"] == "/wallet#card"
    assert hebrew.json()["items"][0]["title"] == "תושבותך אושרה 3"
    assert [item["title"][-1] for item in first_page.json()["items"]] == ["3", "2"]
    assert first_page.json()["total"] == 3


def test_marking_read_is_idempotent_and_counted(
    client: TestClient, app: FastAPI, session: Session, settings: ServiceSettings
) -> None:
    account, headers = _person(session, settings, app)
    notices.post(session, notice(account, 1))
    notices.post(session, notice(account, 2))
    message_id = client.get(ME, headers=headers).json()["items"][1]["id"]

    first = client.post(f"{ME}/{message_id}/read", headers=headers)
    again = client.post(f"{ME}/{message_id}/read", headers=headers)
    listed = client.get(ME, headers=headers).json()

    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["read_at"] is not None
    assert again.json()["read_at"] == first.json()["read_at"]
    assert listed["unread"] == 1
    assert [item["read_at"] is None for item in listed["items"]] == [True, False]


def test_another_person_s_message_is_not_found(
    client: TestClient, app: FastAPI, session: Session, settings: ServiceSettings
) -> None:
    owner, _ = _person(session, settings, app)
    _, stranger = _person(session, settings, app)
    notices.post(session, notice(owner))
    notices.post(session, notice(owner, 2, email_only=True, category=Category.security))
    with_owner = session.scalars(
        select(MessagePreference).where(MessagePreference.account_id == owner)
    ).all()
    assert with_owner == []
    ids = session.scalars(select(Message.id).where(Message.account_id == owner)).all()

    answers = [client.post(f"{ME}/{message_id}/read", headers=stranger) for message_id in ids]
    unknown = client.post(f"{ME}/{uuid.uuid4()}/read", headers=stranger)

    for answer in [*answers, unknown]:
        assert answer.status_code == 404
        assert answer.json()["error"] == "message_not_found"
    assert client.get(ME, headers=stranger).json()["total"] == 0


def test_preferences_every_category_on_until_turned_off(
    client: TestClient, app: FastAPI, session: Session, settings: ServiceSettings
) -> None:
    _, headers = _person(session, settings, app)

    before = client.get(f"{ME}/preferences", headers=headers)
    changed = client.put(
        f"{ME}/preferences", json={"cashback": False, "permits": False}, headers=headers
    )
    back_on = client.put(f"{ME}/preferences", json={"permits": True}, headers=headers)
    after = client.get(f"{ME}/preferences", headers=headers)

    assert before.status_code == 200
    assert before.json() == {category.value: True for category in Category}
    assert changed.status_code == 200, changed.text
    assert changed.json()["cashback"] is False
    assert changed.json()["permits"] is False
    assert back_on.json()["permits"] is True
    assert after.json() == {**before.json(), "cashback": False}


def test_a_critical_category_cannot_be_turned_off_and_nothing_changes(
    client: TestClient, app: FastAPI, session: Session, settings: ServiceSettings
) -> None:
    _, headers = _person(session, settings, app)

    answers = {
        category: client.put(
            f"{ME}/preferences", json={"cashback": False, category: False}, headers=headers
        )
        for category in ("residency", "revocations", "security")
    }
    unknown = client.put(f"{ME}/preferences", json={"weather": False}, headers=headers)
    not_a_flag = client.put(f"{ME}/preferences", json={"cashback": "no"}, headers=headers)
    critical_on = client.put(f"{ME}/preferences", json={"security": True}, headers=headers)
    nothing = client.put(f"{ME}/preferences", json={}, headers=headers)

    for answer in answers.values():
        assert answer.status_code == 422
        assert answer.json()["error"] == "category_required"
    assert "revocations" in answers["revocations"].json()["detail"]
    assert unknown.status_code == 422
    assert unknown.json()["error"] == "unknown_category"
    assert not_a_flag.status_code == 422
    assert not_a_flag.json()["error"] == "validation_error"
    assert critical_on.status_code == 200
    assert nothing.status_code == 422
    assert nothing.json()["error"] == "validation_error"
    assert client.get(f"{ME}/preferences", headers=headers).json()["cashback"] is True


def test_the_inbox_needs_a_signed_in_caller(client: TestClient) -> None:
    assert client.get(ME).status_code == 401
    assert client.put(f"{ME}/preferences", json={}).status_code == 401
