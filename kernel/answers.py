"""Every answer a route can give, declared in the OpenAPI document with the shape it has.

A route's own refusals (its domain's errors) are listed on the route with
``kernel.errors.responses(...)``. What is true of many routes at once is declared here, on each
router as the app includes it (``declare_answers``), so no route can forget it:

- a dependency marked with ``raises(...)`` (the bearer token, a required role) declares its
  errors on every route that depends on it, however deep;
- every route may answer 422 ``validation_error`` and ``invalid_text``: the path and query of any
  request are checked, and its parameters and body parsed;
- a route with a path parameter may answer 404 ``not_found``: a value that is no such thing, or
  one that does not fit the path at all;
- a request that may carry a body (POST, PUT, PATCH) may be answered by the JSON gate
  (``kernel.guard``): 413 ``body_too_large`` and 422 ``invalid_text``;
- a route that reads a body answers 400 ``bad_request`` when the body cannot be read at all (not
  UTF-8, a broken form).

Every error is ``ErrorBody``; FastAPI's own 422 schema (``HTTPValidationError``) is never declared,
because no answer has that shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIRouter

from kernel.errors import ErrorBody, ToshavError

# A declared answer: its status and its stable code.
Answer = tuple[int, str]

_RAISES = "__toshav_raises__"
Call = TypeVar("Call", bound=Callable[..., Any])

EVERY_ROUTE: tuple[Answer, ...] = ((422, "validation_error"), (422, "invalid_text"))
WITH_PATH_PARAMETERS: tuple[Answer, ...] = ((404, "not_found"),)
BODY_GATE: tuple[Answer, ...] = ((413, "body_too_large"), (422, "invalid_text"))
WITH_BODY: tuple[Answer, ...] = ((400, "bad_request"),)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def raises(*errors: type[ToshavError]) -> Callable[[Call], Call]:
    """Mark a dependency with the errors it can raise: every route that depends on it, directly or
    through other dependencies, declares them."""

    def mark(call: Call) -> Call:
        setattr(call, _RAISES, (*getattr(call, _RAISES, ()), *errors))
        return call

    return mark


def answers_of(errors: Iterable[type[ToshavError]]) -> list[Answer]:
    return [(error.status_code, error.code) for error in errors]


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def route_answers(route: APIRoute) -> list[Answer]:
    """What this route may answer besides what it lists itself."""
    found: list[Answer] = list(EVERY_ROUTE)
    for call in _calls(route.dependant):
        found.extend(answers_of(getattr(call, _RAISES, ())))
    if route.dependant.path_params:
        found.extend(WITH_PATH_PARAMETERS)
    if BODY_METHODS.intersection(route.methods or ()):
        found.extend(BODY_GATE)
    if route.body_field is not None:
        found.extend(WITH_BODY)
    return found


def _parts(description: str) -> list[str]:
    return [part for part in description.split(", ") if part]


def declare(
    responses: dict[int | str, dict[str, Any]], answers: Iterable[Answer]
) -> dict[int | str, dict[str, Any]]:
    """These responses with these answers added, each status's codes listed once, in order."""
    declared = {status: dict(entry) for status, entry in responses.items()}
    for status, code in answers:
        entry = declared.setdefault(status, {"model": ErrorBody, "description": ""})
        entry.setdefault("model", ErrorBody)
        parts = _parts(entry.get("description", ""))
        if f"`{code}`" not in parts:
            parts.append(f"`{code}`")
        entry["description"] = ", ".join(parts)
    return dict(sorted(declared.items(), key=lambda item: str(item[0])))


def declare_answers(router: APIRouter) -> None:
    """Declare on every route of this router what it may answer besides what it lists.

    Called on each router before the app includes it: an included route is made from its
    router's, and FastAPI makes the schema of each declared answer then. A route made on the app
    itself declares its answers with ``declare`` as it is made. Declaring twice declares nothing
    more.
    """
    for route in router.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            route.responses = declare(route.responses, route_answers(route))
