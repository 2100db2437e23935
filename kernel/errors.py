"""One error base for the whole service, and the handlers that turn every failure into one shape.

Every 4xx and 5xx answer is ``{"error": "<stable_code>", "detail": "<message>"}``; the detail is in
the caller's language (Accept-Language; Hebrew by default). Never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from kernel.i18n import Language, Text, render
from kernel.kit.language import language_of

logger = logging.getLogger("toshav.errors")


class ToshavError(Exception):
    """An error the caller can act on: an HTTP status, a stable machine code, a message in three languages."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[Text] = {
        "he": "הבקשה אינה תקינה.",
        "ar": "الطلب غير صالح.",
        "en": "The request is not valid.",
    }

    # A refusal that must leave a record (a failed sign-in counted, a stolen token's family
    # revoked): the request's transaction is committed before the error is answered.
    keeps_work: bool = False

    def __init__(self, headers: dict[str, str] | None = None, **params: object) -> None:
        self.params = params
        self.headers = headers
        super().__init__(self.detail("en"))

    def detail(self, language: Language) -> str:
        return render(self.message, language, **self.params)

    def keeping_work(self) -> ToshavError:
        """This refusal, with what the request wrote committed (see ``keeps_work``)."""
        self.keeps_work = True
        return self


class NotFound(ToshavError):
    status_code = 404
    code = "not_found"
    message: ClassVar[Text] = {
        "he": "לא נמצא.",
        "ar": "غير موجود.",
        "en": "Not found.",
    }


class NotAuthenticated(ToshavError):
    status_code = 401
    code = "not_authenticated"
    message: ClassVar[Text] = {
        "he": "יש להתחבר.",
        "ar": "يجب تسجيل الدخول.",
        "en": "Sign-in is required.",
    }

    def __init__(self, **params: object) -> None:
        super().__init__(headers={"WWW-Authenticate": "Bearer"}, **params)


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    message: ClassVar[Text] = {
        "he": "אסימון הגישה אינו תקף. יש להתחבר מחדש.",
        "ar": "رمز الوصول غير صالح. يرجى تسجيل الدخول من جديد.",
        "en": "The access token is not valid. Please sign in again.",
    }


class Forbidden(ToshavError):
    status_code = 403
    code = "forbidden"
    message: ClassVar[Text] = {
        "he": "אין לך הרשאה לפעולה זו.",
        "ar": "ليس لديك صلاحية لهذا الإجراء.",
        "en": "You are not allowed to do this.",
    }


class Conflict(ToshavError):
    status_code = 409
    code = "conflict"
    message: ClassVar[Text] = {
        "he": "הפעולה מתנגשת במצב הנוכחי.",
        "ar": "الإجراء يتعارض مع الحالة الحالية.",
        "en": "This conflicts with the current state.",
    }


class Unprocessable(ToshavError):
    status_code = 422
    code = "validation_error"
    message: ClassVar[Text] = {
        "he": "הקלט אינו תקין: {problem}",
        "ar": "المدخلات غير صالحة: {problem}",
        "en": "The input is not valid: {problem}",
    }


class InvalidText(Unprocessable):
    """Text no person types: a control character, a lone surrogate or broken UTF-8."""

    code = "invalid_text"
    message: ClassVar[Text] = {
        "he": "הטקסט מכיל תווים שאינם מותרים (תווי בקרה או קידוד שבור).",
        "ar": "يحتوي النص على أحرف غير مسموح بها (أحرف تحكم أو ترميز تالف).",
        "en": "The text holds characters that are not allowed (control characters or broken encoding).",
    }


class AmountOutOfRange(Unprocessable):
    """A sum the database's 64-bit integers cannot hold."""

    code = "amount_out_of_range"
    message: ClassVar[Text] = {
        "he": "הסכום חורג מהטווח שהמערכת יכולה לשמור.",
        "ar": "المبلغ يتجاوز النطاق الذي يمكن للنظام حفظه.",
        "en": "The amount is beyond the range the service can hold.",
    }


class ErrorBody(BaseModel):
    """The shape of every error answer."""

    error: str
    detail: str


_HTTP_CODES: dict[int, tuple[str, Text]] = {
    400: ("bad_request", ToshavError.message),
    404: ("not_found", NotFound.message),
    405: (
        "method_not_allowed",
        {
            "he": "השיטה אינה נתמכת בכתובת זו.",
            "ar": "الطريقة غير مدعومة في هذا العنوان.",
            "en": "This method is not allowed here.",
        },
    ),
    401: ("not_authenticated", NotAuthenticated.message),
    403: ("forbidden", Forbidden.message),
}

_INTERNAL: Text = {
    "he": "אירעה תקלה פנימית. נסו שוב מאוחר יותר.",
    "ar": "حدث خطأ داخلي. يرجى المحاولة لاحقًا.",
    "en": "Something went wrong on our side. Please try again later.",
}

_VALIDATION: Text = {
    "he": "הקלט אינו תקין",
    "ar": "المدخلات غير صالحة",
    "en": "The input is not valid",
}


def error_response(
    status_code: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        status_code=status_code,
        content={"error": code, "detail": detail},
        headers=headers,
    )


# What pydantic says, in each of our languages. Types not listed fall back to pydantic's English.
_PROBLEMS: dict[str, Text] = {
    "missing": {"he": "שדה חובה", "ar": "حقل مطلوب", "en": "required"},
    "extra_forbidden": {"he": "שדה לא מוכר", "ar": "حقل غير معروف", "en": "unknown field"},
    "string_too_short": {
        "he": "קצר מדי (לפחות {min_length})",
        "ar": "قصير جدًا (على الأقل {min_length})",
        "en": "too short (at least {min_length})",
    },
    "string_too_long": {
        "he": "ארוך מדי (לכל היותר {max_length})",
        "ar": "طويل جدًا (على الأكثر {max_length})",
        "en": "too long (at most {max_length})",
    },
    "too_short": {
        "he": "מעט מדי פריטים (לפחות {min_length})",
        "ar": "عناصر قليلة جدًا (على الأقل {min_length})",
        "en": "too few items (at least {min_length})",
    },
    "too_long": {
        "he": "יותר מדי פריטים (לכל היותר {max_length})",
        "ar": "عناصر كثيرة جدًا (على الأكثر {max_length})",
        "en": "too many items (at most {max_length})",
    },
    "string_pattern_mismatch": {
        "he": "בתבנית שגויה",
        "ar": "بصيغة غير صحيحة",
        "en": "not in the expected format",
    },
    "string_type": {"he": "צריך להיות טקסט", "ar": "يجب أن يكون نصًا", "en": "must be text"},
    "int_parsing": {
        "he": "צריך להיות מספר שלם",
        "ar": "يجب أن يكون عددًا صحيحًا",
        "en": "must be a whole number",
    },
    "int_type": {
        "he": "צריך להיות מספר שלם",
        "ar": "يجب أن يكون عددًا صحيحًا",
        "en": "must be a whole number",
    },
    "int_from_float": {
        "he": "צריך להיות מספר שלם",
        "ar": "يجب أن يكون عددًا صحيحًا",
        "en": "must be a whole number",
    },
    "float_parsing": {"he": "צריך להיות מספר", "ar": "يجب أن يكون رقمًا", "en": "must be a number"},
    "bool_parsing": {
        "he": "צריך להיות כן או לא",
        "ar": "يجب أن يكون نعم أو لا",
        "en": "must be true or false",
    },
    "greater_than_equal": {
        "he": "צריך להיות לפחות {ge}",
        "ar": "يجب أن يكون {ge} على الأقل",
        "en": "must be at least {ge}",
    },
    "greater_than": {
        "he": "צריך להיות יותר מ-{gt}",
        "ar": "يجب أن يكون أكبر من {gt}",
        "en": "must be more than {gt}",
    },
    "less_than_equal": {
        "he": "צריך להיות לכל היותר {le}",
        "ar": "يجب أن يكون {le} على الأكثر",
        "en": "must be at most {le}",
    },
    "less_than": {
        "he": "צריך להיות פחות מ-{lt}",
        "ar": "يجب أن يكون أقل من {lt}",
        "en": "must be less than {lt}",
    },
    "enum": {
        "he": "ערך לא מוכר (אפשר: {expected})",
        "ar": "قيمة غير معروفة (المسموح: {expected})",
        "en": "unknown value (allowed: {expected})",
    },
    "literal_error": {
        "he": "ערך לא מוכר (אפשר: {expected})",
        "ar": "قيمة غير معروفة (المسموح: {expected})",
        "en": "unknown value (allowed: {expected})",
    },
    "uuid_parsing": {"he": "מזהה לא תקין", "ar": "معرّف غير صالح", "en": "not a valid id"},
    "uuid_type": {"he": "מזהה לא תקין", "ar": "معرّف غير صالح", "en": "not a valid id"},
    "date_parsing": {
        "he": "תאריך לא תקין (YYYY-MM-DD)",
        "ar": "تاريخ غير صالح (YYYY-MM-DD)",
        "en": "not a valid date (YYYY-MM-DD)",
    },
    "date_from_datetime_parsing": {
        "he": "תאריך לא תקין (YYYY-MM-DD)",
        "ar": "تاريخ غير صالح (YYYY-MM-DD)",
        "en": "not a valid date (YYYY-MM-DD)",
    },
    "datetime_parsing": {"he": "זמן לא תקין", "ar": "وقت غير صالح", "en": "not a valid time"},
    "datetime_from_date_parsing": {
        "he": "זמן לא תקין",
        "ar": "وقت غير صالح",
        "en": "not a valid time",
    },
    "timezone_aware": {
        "he": "חסר אזור זמן",
        "ar": "المنطقة الزمنية مفقودة",
        "en": "needs a time zone",
    },
    "json_invalid": {"he": "JSON לא תקין", "ar": "JSON غير صالح", "en": "not valid JSON"},
    "model_attributes_type": {
        "he": "צריך להיות אובייקט",
        "ar": "يجب أن يكون كائنًا",
        "en": "must be an object",
    },
    "dict_type": {"he": "צריך להיות אובייקט", "ar": "يجب أن يكون كائنًا", "en": "must be an object"},
    "model_type": {
        "he": "צריך להיות אובייקט",
        "ar": "يجب أن يكون كائنًا",
        "en": "must be an object",
    },
    "list_type": {"he": "צריך להיות רשימה", "ar": "يجب أن يكون قائمة", "en": "must be a list"},
    "value_error": {"he": "ערך לא תקין", "ar": "قيمة غير صالحة", "en": "{error}"},
}


def _problem(error: Any, language: Language) -> str:
    kind = str(error.get("type", ""))
    text = _PROBLEMS.get(kind)
    if text is None:
        return str(error.get("msg", "invalid"))
    context = {key: value for key, value in (error.get("ctx") or {}).items()}
    try:
        return render(text, language, **context) if "{" in text[language] else text[language]
    except (KeyError, IndexError):
        return str(error.get("msg", "invalid")) if language == "en" else text[language]


def describe_validation(errors: list[Any], language: Language = "en") -> str:
    """A short, readable list of what was wrong and where; never the submitted values."""
    parts: list[str] = []
    for error in errors[:5]:
        location = ".".join(
            str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")
        )
        message = _problem(error, language)
        parts.append(f"{location}: {message}" if location else message)
    if len(errors) > 5:
        parts.append(f"(+{len(errors) - 5})")
    return "; ".join(parts)


def http_error_response(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """A routing or framework refusal (no such path, method not allowed) in the one error shape."""
    language = language_of(request)
    code, text = _HTTP_CODES.get(
        exc.status_code,
        ("http_error", {"he": str(exc.detail), "ar": str(exc.detail), "en": str(exc.detail)}),
    )
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, text[language], headers)


def install_error_handlers(app: FastAPI) -> None:
    """Make every failure answer in the one error shape."""

    @app.exception_handler(ToshavError)
    async def _toshav(request: Request, exc: ToshavError) -> JSONResponse:
        return error_response(
            exc.status_code, exc.code, exc.detail(language_of(request)), exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = language_of(request)
        detail = f"{_VALIDATION[language]}: {describe_validation(list(exc.errors()), language)}"
        return error_response(422, "validation_error", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return http_error_response(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", _INTERNAL[language_of(request)])


def responses(*errors: type[ToshavError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors an endpoint can return."""
    documented: dict[int | str, dict[str, Any]] = {}
    for error in errors:
        entry = documented.setdefault(error.status_code, {"model": ErrorBody, "description": ""})
        codes = [c for c in entry["description"].split(", ") if c]
        codes.append(f"`{error.code}`")
        entry["description"] = ", ".join(codes)
    return documented
