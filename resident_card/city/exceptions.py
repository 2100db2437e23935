"""What can go wrong with the city's street list."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import ToshavError
from kernel.i18n import Text


class CityDataInvalid(ToshavError):
    status_code = 422
    code = "city_data_invalid"
    message: ClassVar[Text] = {
        "he": "קובץ נתוני העיר {file} שגוי בשורה {row}: {problem}",
        "ar": "ملف بيانات المدينة {file} غير صالح في السطر {row}: {problem}",
        "en": "The city data file {file} is wrong at row {row}: {problem}",
    }
