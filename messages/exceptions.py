"""The refusals of messages, each with its status and stable code."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import NotFound, ToshavError
from kernel.i18n import Text


class MessageNotFound(NotFound):
    """No such message of the caller's (another person's message is not found either)."""

    code = "message_not_found"
    message: ClassVar[Text] = {
        "he": "ההודעה לא נמצאה.",
        "ar": "الرسالة غير موجودة.",
        "en": "No such message.",
    }


class CategoryRequired(ToshavError):
    """A category the service must be able to tell everyone about cannot be turned off."""

    status_code = 422
    code = "category_required"
    message: ClassVar[Text] = {
        "he": "אי אפשר לכבות הודעות בנושא {category}: העירייה חייבת למסור אותן.",
        "ar": "لا يمكن إيقاف رسائل {category}: يجب على البلدية إبلاغك بها.",
        "en": "Messages about {category} cannot be turned off: the city must be able to tell you.",
    }


class UnknownCategory(ToshavError):
    status_code = 422
    code = "unknown_category"
    message: ClassVar[Text] = {
        "he": "אין נושא הודעות בשם {category}.",
        "ar": "لا يوجد موضوع رسائل باسم {category}.",
        "en": "There is no category of messages called {category}.",
    }
