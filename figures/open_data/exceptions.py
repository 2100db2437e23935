"""The errors the open data answers with."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import ToshavError
from kernel.i18n import Text


class UnknownResource(ToshavError):
    """No resource of the open data has this name (or the domain that publishes it is off)."""

    status_code = 404
    code = "unknown_resource"
    message: ClassVar[Text] = {
        "he": "אין משאב כזה בנתונים הפתוחים.",
        "ar": "لا يوجد مورد بهذا الاسم في البيانات المفتوحة.",
        "en": "The open data has no such resource.",
    }


class UnknownNeighbourhood(ToshavError):
    """The city has no neighbourhood with this code."""

    status_code = 404
    code = "unknown_neighbourhood"
    message: ClassVar[Text] = {
        "he": "אין שכונה כזאת בעיר.",
        "ar": "لا يوجد حي بهذا الرمز في المدينة.",
        "en": "The city has no such neighbourhood.",
    }
