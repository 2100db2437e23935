"""No code inside a sentence: the Hebrew and Arabic texts of every page and every error speak in
words, never in a machine's tokens (``hadar_west``, ``(malformed)``), placeholders aside."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import cashback.exceptions
import parking.exceptions
import toshav.app  # noqa: F401 - every domain's errors, for the walk below
from kernel.errors import ToshavError
from kernel.i18n import Language
from messages.service.delivery import FOOTER

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{\w+\}")
# An ASCII identifier with an underscore, or a lower-case word alone in brackets: a code.
CODE_LIKE = re.compile(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b|\([a-z_]+\)")
# Names the reader must type as they stand (a request's field, a setting), so not words to translate.
TO_TYPE = {"allow_gap", "TOSHAV_CREDENTIAL_KEY"}
WORDED: tuple[Language, ...] = ("he", "ar")
I18N_FILES = sorted(path for path in ROOT.glob("*/web/static/i18n/*.json") if path.stem in WORDED)


def codes_in(text: str) -> list[str]:
    return [code for code in CODE_LIKE.findall(PLACEHOLDER.sub("", text)) if code not in TO_TYPE]


def every_error() -> list[type[ToshavError]]:
    found: list[type[ToshavError]] = []
    todo = [ToshavError]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo += kind.__subclasses__()
    return found


def test_the_pages_hebrew_and_arabic_texts_hold_no_code() -> None:
    assert len(I18N_FILES) >= 10  # he and ar of every domain's pages
    leaks = {
        f"{path.parent.parent.parent.parent.name}/{path.name}:{key}": codes_in(text)
        for path in I18N_FILES
        for key, text in json.loads(path.read_text(encoding="utf-8")).items()
        if codes_in(text)
    }
    assert leaks == {}


@pytest.mark.parametrize("language", WORDED)
def test_the_errors_hebrew_and_arabic_hold_no_code(language: Language) -> None:
    leaks = {
        kind.__name__: codes_in(kind.message[language])
        for kind in every_error()
        if codes_in(kind.message[language])
    }
    assert leaks == {}


@pytest.mark.parametrize("language", WORDED)
def test_a_refused_card_or_permit_says_why_in_words(language: Language) -> None:
    for reason in [*cashback.exceptions.CARD_REFUSALS, "something_new"]:
        detail = cashback.exceptions.CardInvalid(reason=reason).detail(language)
        assert codes_in(detail) == [], detail
        assert reason not in detail
    for state in [*parking.exceptions.PERMIT_STATE_WORDS, "something_new"]:
        detail = parking.exceptions.PermitNotActive(status=state).detail(language)
        assert codes_in(detail) == [], detail
        assert state not in detail


def test_a_day_inside_a_sentence_is_written_for_its_language() -> None:
    from datetime import date

    from kernel.i18n import day_text

    assert day_text(date(2027, 12, 2)) == {
        "he": "2.12.2027",
        "ar": "2/12/2027",
        "en": "2 December 2027",
    }


@pytest.mark.parametrize("language", WORDED)
def test_a_messages_footer_names_the_service_in_the_readers_script(language: Language) -> None:
    assert re.search(r"[A-Za-z]", PLACEHOLDER.sub("", FOOTER[language])) is None
