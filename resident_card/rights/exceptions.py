"""What can go wrong with an erasure request."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, NotFound
from kernel.i18n import Text


class ErasureNotFound(NotFound):
    code = "erasure_not_found"
    message: ClassVar[Text] = {
        "he": "בקשת המחיקה לא נמצאה.",
        "ar": "طلب المحو غير موجود.",
        "en": "No such erasure request.",
    }


class ErasureAlreadyOpen(Conflict):
    code = "erasure_already_open"
    message: ClassVar[Text] = {
        "he": "כבר הוגשה בקשת מחיקה והיא ממתינה להחלטת פקיד.",
        "ar": "تم تقديم طلب محو بالفعل وهو بانتظار قرار الموظف.",
        "en": "An erasure request of yours is already waiting for a clerk.",
    }


class ErasureAlreadyDecided(Conflict):
    code = "erasure_already_decided"
    message: ClassVar[Text] = {
        "he": "בבקשת מחיקה זו כבר הוחלט.",
        "ar": "تم البت في طلب المحو هذا بالفعل.",
        "en": "This erasure request has already been decided.",
    }
