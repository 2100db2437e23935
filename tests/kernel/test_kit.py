"""The shared kit: a page of a list, the request's language, the Idempotency-Key header and the
request hash, and the INSERT that skips a row already there, on both databases."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.changes.models import ChangeCounter
from kernel.database import Base
from kernel.errors import install_error_handlers
from kernel.i18n import Language
from kernel.kit.idempotency import (
    MAX_KEY_LENGTH,
    CheckedIdempotencyKey,
    IdempotencyKey,
    is_idempotency_key,
    request_hash,
)
from kernel.kit.inserts import insert_if_absent
from kernel.kit.language import RequestLanguage
from kernel.kit.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Page,
    PageWithoutTotal,
    PaginationQuery,
)


class Counted(Page[int]):
    pass


class Uncounted(PageWithoutTotal[int]):
    pass


NUMBERS = list(range(1000))


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/numbers", response_model=Counted)
    async def numbers(pagination: PaginationQuery) -> Counted:
        window = NUMBERS[pagination.offset : pagination.offset + pagination.limit]
        return Counted.of(window, total=len(NUMBERS), pagination=pagination)

    @app.get("/log", response_model=Uncounted)
    async def log(pagination: PaginationQuery) -> Uncounted:
        window = NUMBERS[pagination.offset : pagination.offset + pagination.limit]
        return Uncounted.of(window, pagination=pagination)

    @app.get("/language")
    async def language(language: RequestLanguage) -> dict[str, Language]:
        return {"language": language}

    @app.post("/as-sent")
    async def as_sent(key: IdempotencyKey = None) -> dict[str, str | None]:
        return {"key": key}

    @app.post("/checked")
    async def checked(key: CheckedIdempotencyKey = None) -> dict[str, str | None]:
        return {"key": key}

    return app


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(_app())


# --- pagination -----------------------------------------------------------------------------------


def test_a_page_has_its_items_the_total_and_the_part_read(client: TestClient) -> None:
    response = client.get("/numbers", params={"limit": 3, "offset": 10})

    assert response.status_code == 200
    assert response.json() == {"items": [10, 11, 12], "total": 1000, "limit": 3, "offset": 10}
    assert list(response.json()) == ["items", "total", "limit", "offset"]


def test_a_page_without_total_has_no_total(client: TestClient) -> None:
    response = client.get("/log", params={"limit": 2, "offset": 998})

    assert response.json() == {"items": [998, 999], "limit": 2, "offset": 998}


def test_a_list_read_without_asking_is_its_first_fifty(client: TestClient) -> None:
    body = client.get("/numbers").json()

    assert (body["limit"], body["offset"]) == (DEFAULT_LIMIT, 0) == (50, 0)
    assert body["items"] == NUMBERS[:50]


@pytest.mark.parametrize(
    "params",
    [{"limit": 1}, {"limit": MAX_LIMIT}, {"offset": 0}, {"offset": MAX_OFFSET}],
    ids=["limit 1", "limit 200", "offset 0", "offset 1,000,000"],
)
def test_the_bounds_themselves_are_allowed(client: TestClient, params: dict[str, int]) -> None:
    assert client.get("/numbers", params=params).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": MAX_LIMIT + 1},
        {"limit": -1},
        {"offset": -1},
        {"offset": MAX_OFFSET + 1},
        {"limit": "ten"},
        {"offset": "1.5"},
    ],
    ids=["limit 0", "limit 201", "limit -1", "offset -1", "offset past", "words", "fraction"],
)
def test_a_page_out_of_bounds_is_a_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/numbers", params=params)

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_the_bounds_are_the_ones_every_list_promised() -> None:
    assert (MAX_LIMIT, MAX_OFFSET) == (200, 1_000_000)


def test_the_openapi_document_shows_the_bounds_and_names_the_page() -> None:
    document = _app().openapi()
    parameters = {
        p["name"]: p["schema"] for p in document["paths"]["/numbers"]["get"]["parameters"]
    }

    assert parameters["limit"] == {
        "type": "integer",
        "maximum": 200,
        "minimum": 1,
        "default": 50,
        "title": "Limit",
    }
    assert parameters["offset"]["minimum"] == 0
    assert parameters["offset"]["maximum"] == 1_000_000
    assert {"Counted", "Uncounted"} <= set(document["components"]["schemas"])


# --- the request's language -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "he"),
        ("", "he"),
        ("ar", "ar"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5, ar;q=0.8", "ar"),
        ("iw", "he"),
        ("fr, de", "he"),
        ("en;q=0", "he"),
    ],
)
def test_the_request_language_is_the_best_of_ours_it_asks_for(
    client: TestClient, header: str | None, language: str
) -> None:
    headers = {"Accept-Language": header} if header is not None else {}

    assert client.get("/language", headers=headers).json() == {"language": language}


# --- the Idempotency-Key header and the request hash ----------------------------------------------

# Ids of parametrised tests must be the same in every test process (pytest-xdist compares them).
GOOD_KEYS = [
    "a",
    "k" * MAX_KEY_LENGTH,
    "!~",
    "6f0c8a1e-3b2d-4c5e-9f7a-1d2e3f4a5b6c",
    "till-7:2026-12-01/0042",
]
BAD_KEYS = [None, "", "k" * (MAX_KEY_LENGTH + 1), "with space", "tab\there", "ünïcode", "\x7f"]


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_a_key_is_one_to_two_hundred_visible_ascii_characters(key: str) -> None:
    assert is_idempotency_key(key)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_anything_else_is_not_a_key(key: str | None) -> None:
    assert not is_idempotency_key(key)


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_the_checked_header_lets_a_key_through(client: TestClient, key: str) -> None:
    response = client.post("/checked", headers={"Idempotency-Key": key})

    assert response.json() == {"key": key}


@pytest.mark.parametrize("key", ["", "k" * 201, "with space", "ünïcode".encode(), "עברית".encode()])
def test_the_checked_header_refuses_a_malformed_key_with_a_422(
    client: TestClient, key: str | bytes
) -> None:
    response = client.post("/checked", headers={"Idempotency-Key": key})

    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_without_a_key_either_header_is_none(client: TestClient) -> None:
    assert client.post("/checked").json() == {"key": None}
    assert client.post("/as-sent").json() == {"key": None}


@pytest.mark.parametrize("key", ["", "with space", "k" * 201])
def test_the_header_as_sent_is_left_to_the_service_to_judge(client: TestClient, key: str) -> None:
    assert client.post("/as-sent", headers={"Idempotency-Key": key}).json() == {"key": key}


def test_the_request_hash_never_changes_for_the_same_content() -> None:
    # Hashes are stored beside their keys: a retry after an upgrade must still match.
    purchase = {"card_token": "tok", "amount_agorot": 1250, "receipt": None}
    assert request_hash(purchase) == (
        "2eb97ffefef3d6e7f0cda4039f10245097c17ef0846c8d269d6285a3894f957e"
    )
    moment = {
        "when": datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        "who": uuid.UUID(int=7),
        "names": ["b", "a"],
    }
    assert request_hash(moment) == (
        "138e58b07fed57e5a6385b51c3d1a1798d82fe6d3531638c92ad82ac3ae0705c"
    )


def test_the_request_hash_ignores_key_order_and_sees_every_value() -> None:
    one = request_hash({"a": 1, "b": [1, 2]})

    assert one == request_hash({"b": [1, 2], "a": 1})
    assert one != request_hash({"a": 1, "b": [2, 1]})
    assert one != request_hash({"a": "1", "b": [1, 2]})
    assert re.fullmatch("[0-9a-f]{64}", one)


# --- the INSERT that skips a row already there, on both databases ---------------------------------


def _changes(session: Session, topic: str) -> int | None:
    return session.scalar(select(ChangeCounter.changes).where(ChangeCounter.topic == topic))


def test_an_insert_if_absent_adds_a_new_row_and_returns_it(session: Session) -> None:
    statement = (
        insert_if_absent(session, ChangeCounter)
        .values(topic="kit", changes=3)
        .returning(ChangeCounter.topic)
    )

    assert session.scalar(statement) == "kit"
    assert _changes(session, "kit") == 3


def test_an_insert_if_absent_skips_a_row_already_there(session: Session) -> None:
    session.execute(insert_if_absent(session, ChangeCounter).values(topic="kit", changes=3))
    again = (
        insert_if_absent(session, ChangeCounter)
        .values(topic="kit", changes=99)
        .returning(ChangeCounter.topic)
    )

    assert session.scalar(again) is None
    assert _changes(session, "kit") == 3


def test_an_insert_if_absent_takes_a_table_and_many_rows(session: Session) -> None:
    session.execute(insert_if_absent(session, ChangeCounter).values(topic="kit-a", changes=1))
    statement = insert_if_absent(session, Base.metadata.tables["change_counters"])

    session.execute(
        statement, [{"topic": "kit-a", "changes": 50}, {"topic": "kit-b", "changes": 2}]
    )

    assert (_changes(session, "kit-a"), _changes(session, "kit-b")) == (1, 2)


def test_an_insert_if_absent_speaks_the_sessions_dialect(session: Session) -> None:
    statement = insert_if_absent(session, ChangeCounter).values(topic="kit", changes=0)
    dialect = session.get_bind().dialect

    assert type(statement).__module__.startswith(f"sqlalchemy.dialects.{dialect.name}")
    assert "ON CONFLICT DO NOTHING" in str(statement.compile(dialect=dialect))
