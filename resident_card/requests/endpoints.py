"""A signed-in person's requests: every request they (or a minor in their care) made, and where
each one stands."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from kernel.clock import Now
from kernel.database import DbSession
from kernel.errors import Forbidden, NotAuthenticated, responses
from kernel.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language, Text
from kernel.kit.language import asks_for_language, language_of
from kernel.settings import AppSettings
from resident_card.accounts.dependencies import CurrentUser
from resident_card.requests import service
from resident_card.requests.schemas import RequestOut, RequestStepOut
from resident_card.requests.sources import PersonRequest

router = APIRouter(prefix="/requests", tags=["requests"])

# The caller's alone, and it changes whenever a clerk decides: no cache keeps it.
NO_STORE = {"Cache-Control": "no-store"}


def _language(request: Request, preferred: str) -> Language:
    """Accept-Language when sent, else the language the account prefers."""
    if asks_for_language(request):
        return language_of(request)
    return next((language for language in LANGUAGES if language == preferred), DEFAULT_LANGUAGE)


def _note(note: str | Text | None, language: Language) -> str | None:
    if note is None or isinstance(note, str):
        return note
    return note[language]


def _out(found: PersonRequest, language: Language) -> RequestOut:
    return RequestOut(
        id=found.id,
        kind=found.kind,
        status=found.status,
        status_text=found.status_text[language],
        created_at=found.created_at,
        updated_at=found.updated_at,
        timeline=[
            RequestStepOut(
                status=step.status,
                status_text=step.status_text[language],
                at=step.at,
                note=_note(step.note, language),
            )
            for step in found.timeline
        ],
    )


@router.get(
    "/me",
    response_model=list[RequestOut],
    responses=responses(NotAuthenticated, Forbidden),
)
def my_requests(
    request: Request,
    response: Response,
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> list[RequestOut]:
    """My requests and my wards', newest first, each with its status and every step it went through."""
    response.headers.update(NO_STORE)
    language = _language(request, user.preferred_language)
    found = service.my_requests(session, settings, user.id, now)
    return [_out(one, language) for one in found]
