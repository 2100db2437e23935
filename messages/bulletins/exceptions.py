"""The refusals of the city's notices, each with its status and stable code."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, NotFound, ToshavError
from kernel.i18n import Text


class BulletinNotFound(NotFound):
    code = "notice_not_found"
    message: ClassVar[Text] = {
        "he": "ההודעה לא נמצאה.",
        "ar": "الإعلان غير موجود.",
        "en": "No such notice.",
    }


class NeighbourhoodNotFound(NotFound):
    """A neighbourhood asked for by its code that the city does not have."""

    code = "neighbourhood_not_found"
    message: ClassVar[Text] = {
        "he": "אין שכונה בקוד {code}.",
        "ar": "لا يوجد حي بالرمز {code}.",
        "en": "There is no neighbourhood with the code {code}.",
    }


class UnknownNeighbourhood(ToshavError):
    """A notice posted for a neighbourhood the city does not have: nothing is posted."""

    status_code = 422
    code = "unknown_neighbourhood"
    message: ClassVar[Text] = {
        "he": "אין שכונה בקוד {code}.",
        "ar": "لا يوجد حي بالرمز {code}.",
        "en": "There is no neighbourhood with the code {code}.",
    }


class AudienceUnclear(ToshavError):
    """A notice is for the whole city or for some neighbourhoods: one of the two, not both."""

    status_code = 422
    code = "notice_audience_unclear"
    message: ClassVar[Text] = {
        "he": "יש לבחור שכונה אחת לפחות, או את כל העיר (לא את שניהם).",
        "ar": "اختر حيًا واحدًا على الأقل، أو المدينة كلها (وليس الاثنين معًا).",
        "en": "Choose at least one neighbourhood, or the whole city (not both).",
    }


class DaysInvalid(ToshavError):
    """The days a notice is current: the first no later than the last, the last not yet past,
    and at most a year in all."""

    status_code = 422
    code = "notice_days_invalid"
    message: ClassVar[Text] = {
        "he": "הימים אינם תקינים: היום האחרון לא לפני הראשון, לא לפני היום, ועד שנה בסך הכול.",
        "ar": "الأيام غير صالحة: اليوم الأخير ليس قبل الأول ولا قبل اليوم، وسنة واحدة على الأكثر.",
        "en": "The days are not valid: the last day no earlier than the first or than today, and a year at most.",
    }


class AlreadyWithdrawn(Conflict):
    code = "notice_withdrawn"
    message: ClassVar[Text] = {
        "he": "ההודעה כבר הוסרה.",
        "ar": "تم سحب الإعلان بالفعل.",
        "en": "The notice was already withdrawn.",
    }
