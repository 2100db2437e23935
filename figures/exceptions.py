"""The errors figures answer with."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import ToshavError
from kernel.i18n import Text


class InvalidWindow(ToshavError):
    """The window's first day is after its last, or it is longer than figures are kept for."""

    status_code = 422
    code = "invalid_window"
    message: ClassVar[Text] = {
        "he": "טווח התאריכים אינו תקין: {reason}",
        "ar": "نطاق التواريخ غير صالح: {reason}",
        "en": "The date range is not valid: {reason}",
    }
