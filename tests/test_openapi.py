"""The OpenAPI document tells the truth: what a route answers is what it declares.

Schemathesis sends every operation requests made from the document itself, as each role and
without a token, and checks each answer against the document: no server error, no status, body or
content type the operation does not declare, and no operation that declares a token but answers
without one.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from kernel.clock import SetClock
from kernel.settings import Settings
from resident_card.accounts.models import Role
from tests.cashback.conftest import make_business, prepare_city
from tests.conftest import Backend
from tests.factories import auth_headers, create_resident, create_user
from tests.test_roles import BROWSER_SESSION, POLICY, PUBLIC, SIGNED_IN

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    document = app.openapi()
    return [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def _codes(operation: dict[str, Any], status: str) -> list[str]:
    return [code.strip("`") for code in operation["responses"][status]["description"].split(", ")]


def test_every_error_is_declared_in_the_one_error_shape(app: FastAPI) -> None:
    document = app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(app):
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                schema = response["content"]["application/json"]["schema"]
                assert schema == ERROR_BODY, (method, path, status)
        # Any path or query may hold text no person typed (``invalid_text``).
        assert {"validation_error", "invalid_text"} <= set(_codes(operation, "422")), (
            f"{method} {path}: a route made on the app declares its answers with kernel.answers"
        )


def test_who_may_call_a_route_is_declared_with_its_refusals(app: FastAPI) -> None:
    for method, path, operation in _operations(app):
        allowed = POLICY[(method, path)]
        statuses = set(operation["responses"])
        if allowed == PUBLIC:
            assert "401" not in statuses or "security" not in operation, (method, path)
        elif allowed == BROWSER_SESSION:
            assert "cross_site_refused" in _codes(operation, "403"), (method, path)
        else:
            assert {"not_authenticated", "invalid_token"} <= set(_codes(operation, "401"))
            if allowed != SIGNED_IN:
                assert "forbidden" in _codes(operation, "403"), (method, path)


def test_a_body_that_is_not_text_is_a_declared_400(client: TestClient, app: FastAPI) -> None:
    response = client.post(
        "/api/v1/auth/password-reset",
        content=b"\xff\xfe{",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    operation = app.openapi()["paths"]["/api/v1/auth/password-reset"]["post"]
    assert "bad_request" in _codes(operation, "400")


# --- schemathesis: every operation, as each role and without a token ------------------------------

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
]
# Examples per operation and identity: requests that fit the document, and requests that do not.
# Few, and the same every run (derandomised): the suite runs this for six identities on two
# databases, and a failure must be reproducible.
POSITIVE = 1
NEGATIVE = 1
# PostgreSQL refuses what SQLite lets by (NUL in text, integers out of range, text too long), so it
# sees every identity that writes. What is the same on both is checked once, on SQLite: the
# refusal of every guarded route without a token, and the auditor, who reads what an admin reads.
SQLITE_ONLY: frozenset[Role | None] = frozenset({Role.auditor})


class Served:
    """The app under test as schemathesis reaches it: requests only. Each test's client runs its
    app's lifespan; schemathesis would otherwise start one of its own and keep it for the process.
    One for the whole run, so the document is read and its strategies are built once."""

    app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            raise RuntimeError("the test's client runs the app's lifespan")
        assert self.app is not None
        await self.app(scope, receive, send)


SERVED = Served()
Operation = APIOperation[Any, Any, Any, Any]


@functools.cache
def _generated_operations(document: str) -> list[tuple[Operation, dict[str, Any]]]:
    """Every operation of the document, with its raw definition."""
    raw = json.loads(document)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = SERVED
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    return [(op, raw["paths"][op.path][op.method.lower()]) for op in operations]


@functools.cache
def _strategy(operation: Operation, mode: GenerationMode) -> SearchStrategy[Case[Operation]]:
    return operation.as_strategy(generation_mode=mode)


def _plan(
    role: Role | None, backend: str, method: str, path: str, operation: dict[str, Any]
) -> list[tuple[GenerationMode, int]]:
    """How many examples of each kind this identity sends to this operation.

    A role sends nothing to a route it may not call (its 403 is declared by the dependency that
    refuses it, checked above); no token sends one request to each guarded route, which must be
    refused with the declared 401.
    """
    allowed = POLICY[(method, path)]
    if allowed in (PUBLIC, BROWSER_SESSION):
        reaches = role is None
    else:
        assert isinstance(allowed, frozenset)
        if role is None:
            return [(GenerationMode.POSITIVE, 1)] if backend == "sqlite" else []
        reaches = role in allowed
    if not reaches:
        return []
    plan = [(GenerationMode.POSITIVE, POSITIVE)]
    if operation.get("parameters") or "requestBody" in operation:
        plan.append((GenerationMode.NEGATIVE, NEGATIVE))
    return plan


def _explore(app: FastAPI, backend: str, role: Role | None, headers: dict[str, str]) -> list[str]:
    SERVED.app = app
    failures: list[str] = []
    for operation, raw in _generated_operations(json.dumps(app.openapi(), sort_keys=True)):
        for mode, examples in _plan(role, backend, operation.method.upper(), operation.path, raw):

            @hypothesis.settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,  # the same requests every run: a failure is reproducible
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @hypothesis.given(case=_strategy(operation, mode))
            def check(case: Case[Operation]) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except (Exception, BaseExceptionGroup) as exc:  # every operation's, not the first only
                failures.append(f"{operation.label} ({mode}): {exc}")
    return failures


def _signed_in(
    role: Role | None, app: FastAPI, session: Session, settings: Settings, now: datetime
) -> dict[str, str]:
    """A city with its streets, programmes and a signing key; and the headers of someone in the
    role as the service knows them: a resident with a record, a business's staff at an approved
    business, or an account with the role."""
    prepare_city(session, settings, now)
    if role is None:
        return {}
    if role is Role.merchant:
        _, user = make_business(session, settings, now=now)
    else:
        user = create_user(session, settings, role=role)
    if role is Role.resident:
        create_resident(session, settings, user=user)
    return auth_headers(app, user)


@pytest.mark.parametrize("role", [None, *Role], ids=["no token", *Role])
def test_every_answer_is_the_one_declared(
    role: Role | None,
    app: FastAPI,
    client: TestClient,
    session: Session,
    settings: Settings,
    clock: SetClock,
    backend: Backend,
) -> None:
    if backend.name != "sqlite" and role in SQLITE_ONLY:
        pytest.skip("the auditor reads what an admin reads: checked once, on SQLite")
    headers = _signed_in(role, app, session, settings, clock.now())
    failures = _explore(app, backend.name, role, headers)
    assert not failures, "\n\n".join(failures)
