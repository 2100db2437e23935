"""What an erasure request says to the person, in the city's three languages."""

from __future__ import annotations

from kernel.i18n import LANGUAGES, Text
from resident_card.rights.models import ErasureStatus

STATUS_TEXTS: dict[str, Text] = {
    ErasureStatus.submitted: {
        "he": "בקשת המחיקה התקבלה וממתינה להחלטת פקיד",
        "ar": "تم استلام طلب المحو وهو بانتظار قرار الموظف",
        "en": "Erasure request received, waiting for a clerk",
    },
    ErasureStatus.granted: {
        "he": "בקשת המחיקה אושרה",
        "ar": "تمت الموافقة على طلب المحو",
        "en": "Erasure granted",
    },
    ErasureStatus.refused: {
        "he": "בקשת המחיקה נדחתה",
        "ar": "تم رفض طلب المحو",
        "en": "Erasure refused",
    },
}
RECEIVED: Text = {
    "he": "ביקשת שהעירייה תמחק את פרטיך. פקיד יחליט בבקשה, כי ייתכן שהעירייה חייבת לשמור חלק מהרשומות, ונעדכן אותך.",
    "ar": "طلبت أن تمحو البلدية بياناتك. سيبت موظف في الطلب، لأن البلدية قد تكون ملزمة بالاحتفاظ ببعض السجلات، وسنبلغك.",
    "en": "You asked the city to erase your details. A clerk will decide, as the city may have to keep some records, and we will tell you.",
}
_DECIDED: dict[str, Text] = {
    ErasureStatus.granted: {
        "he": "פרטיך נמחקו: החשבון סגור והרשומות שהעירייה חייבת לשמור אינן נושאות עוד את שמך. נימוק הפקיד: {reason}",
        "ar": "تم محو بياناتك: الحساب مغلق والسجلات التي يجب على البلدية الاحتفاظ بها لم تعد تحمل اسمك. سبب الموظف: {reason}",
        "en": "Your details were erased: the account is closed, and the records the city must keep no longer bear your name. The clerk's reason: {reason}",
    },
    ErasureStatus.refused: {
        "he": "בקשת המחיקה נדחתה. נימוק הפקיד: {reason}",
        "ar": "تم رفض طلب المحو. سبب الموظف: {reason}",
        "en": "Your erasure request was refused. The clerk's reason: {reason}",
    },
}
# The residency change an erasure writes, in the history the city keeps.
RESIDENCY_REASON = "erased on request"


def decided(status: ErasureStatus, reason: str) -> Text:
    return {  # type: ignore[return-value]
        language: _DECIDED[status][language].format(reason=reason) for language in LANGUAGES
    }
