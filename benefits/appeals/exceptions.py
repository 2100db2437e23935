"""What can go wrong with an appeal."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, NotFound
from kernel.i18n import Text


class AppealNotFound(NotFound):
    code = "appeal_not_found"
    message: ClassVar[Text] = {
        "he": "הערעור לא נמצא.",
        "ar": "الاستئناف غير موجود.",
        "en": "No such appeal.",
    }


class DecisionNotRefused(Conflict):
    code = "decision_not_refused"
    message: ClassVar[Text] = {
        "he": "אפשר לערער רק על החלטה שדחתה הטבה.",
        "ar": "يمكن الاستئناف فقط على قرار رفض ميزة.",
        "en": "Only a decision that refused a benefit can be appealed.",
    }


class AppealAlreadyOpen(Conflict):
    code = "appeal_already_open"
    message: ClassVar[Text] = {
        "he": "כבר הוגש ערעור על החלטה זו והוא ממתין להחלטת פקיד.",
        "ar": "تم تقديم استئناف على هذا القرار بالفعل وهو بانتظار قرار الموظف.",
        "en": "This decision already has an appeal waiting for a clerk.",
    }


class AppealAlreadyGranted(Conflict):
    code = "appeal_already_granted"
    message: ClassVar[Text] = {
        "he": "ערעור על החלטה זו כבר התקבל.",
        "ar": "تم قبول استئناف على هذا القرار بالفعل.",
        "en": "An appeal against this decision has already been granted.",
    }


class AppealAlreadyDecided(Conflict):
    code = "appeal_already_decided"
    message: ClassVar[Text] = {
        "he": "בערעור זה כבר הוחלט.",
        "ar": "تم البت في هذا الاستئناف بالفعل.",
        "en": "This appeal has already been decided.",
    }
