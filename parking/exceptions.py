"""What can go wrong with zones, vehicles, permits, passes, parking sessions and inspections."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, NotFound, ToshavError
from kernel.i18n import Language, Text, render


class InvalidPlate(ToshavError):
    status_code = 422
    code = "invalid_plate"
    message: ClassVar[Text] = {
        "he": "מספר הרישוי אינו תקין: 7 או 8 ספרות (למשל 12-345-67 או 123-45-678).",
        "ar": "رقم اللوحة غير صالح: 7 أو 8 أرقام (مثل 12-345-67 أو 123-45-678).",
        "en": "The plate number is not valid: 7 or 8 digits (such as 12-345-67 or 123-45-678).",
    }


class UnknownZone(ToshavError):
    status_code = 422
    code = "unknown_zone"
    message: ClassVar[Text] = {
        "he": "אין אזור חניה בשם {zone}.",
        "ar": "لا توجد منطقة وقوف باسم {zone}.",
        "en": "There is no parking zone {zone}.",
    }


class ZoneNotFound(NotFound):
    code = "zone_not_found"
    message: ClassVar[Text] = {
        "he": "אזור החניה לא נמצא.",
        "ar": "منطقة الوقوف غير موجودة.",
        "en": "The parking zone was not found.",
    }


class NoZoneHere(NotFound):
    code = "no_zone_here"
    message: ClassVar[Text] = {
        "he": "המקום הזה אינו בשום אזור חניה.",
        "ar": "هذا المكان ليس في أي منطقة وقوف.",
        "en": "This place is in no parking zone.",
    }


class PlaceOutsideZones(ToshavError):
    status_code = 422
    code = "outside_zones"
    message: ClassVar[Text] = {
        "he": "הנקודה שנשלחה אינה בשום אזור חניה: יש לציין אזור.",
        "ar": "النقطة المرسلة ليست في أي منطقة وقوف: يجب تحديد المنطقة.",
        "en": "The point sent is in no parking zone: name the zone instead.",
    }


class NotAResidentialZone(ToshavError):
    status_code = 422
    code = "not_a_residential_zone"
    message: ClassVar[Text] = {
        "he": "{zone} הוא חניון עירוני, לא אזור חניה לתושבים.",
        "ar": "{zone} موقف بلدي وليس منطقة وقوف للمقيمين.",
        "en": "{zone} is a municipal car park, not a residents' parking zone.",
    }


class NotALot(ToshavError):
    status_code = 422
    code = "not_a_lot"
    message: ClassVar[Text] = {
        "he": "{zone} אינו חניון עירוני.",
        "ar": "{zone} ليس موقفًا بلديًا.",
        "en": "{zone} is not a municipal car park.",
    }


class ZonesFileInvalid(ToshavError):
    status_code = 422
    code = "zones_file_invalid"
    message: ClassVar[Text] = {
        "he": "קובץ אזורי החניה {file} שגוי בשורה {row}: {problem}",
        "ar": "ملف مناطق الوقوف {file} غير صالح في السطر {row}: {problem}",
        "en": "The parking zones file {file} is wrong at row {row}: {problem}",
    }


class NoResidentRecord(NotFound):
    code = "no_resident_record"
    message: ClassVar[Text] = {
        "he": "לחשבון זה אין רשומת תושב. יש להירשם כתושב כדי לקבל הטבות חניה.",
        "ar": "لا يوجد سجل مقيم لهذا الحساب. يجب التسجيل كمقيم للحصول على مزايا الوقوف.",
        "en": "This account has no resident record. Register as a resident for parking benefits.",
    }


class VehicleNotFound(NotFound):
    code = "vehicle_not_found"
    message: ClassVar[Text] = {
        "he": "הרכב לא נמצא.",
        "ar": "المركبة غير موجودة.",
        "en": "The vehicle was not found.",
    }


class PlateTaken(Conflict):
    code = "plate_taken"
    message: ClassVar[Text] = {
        "he": "רכב זה כבר רשום. אם הוא שלכם, פנו לעירייה.",
        "ar": "هذه المركبة مسجلة بالفعل. إذا كانت لكم، تواصلوا مع البلدية.",
        "en": "This vehicle is already registered. If it is yours, contact the city.",
    }


class VehicleLimit(Conflict):
    code = "vehicle_limit"
    message: ClassVar[Text] = {
        "he": "למשק הבית כבר רשומים {limit} רכבים, המספר המרבי.",
        "ar": "لدى الأسرة {limit} مركبات مسجلة، وهو الحد الأقصى.",
        "en": "Your household already has {limit} vehicles registered, the most allowed.",
    }


class VehicleParked(Conflict):
    code = "vehicle_parked"
    message: ClassVar[Text] = {
        "he": "לרכב יש חניה פעילה: יש לסיים אותה קודם.",
        "ar": "للمركبة وقوف جارٍ: يجب إنهاؤه أولًا.",
        "en": "The vehicle has a parking session running: stop it first.",
    }


class PermitNotFound(NotFound):
    code = "permit_not_found"
    message: ClassVar[Text] = {
        "he": "התו לא נמצא.",
        "ar": "التصريح غير موجود.",
        "en": "The permit was not found.",
    }


class PermitAlreadyActive(Conflict):
    code = "permit_active"
    message: ClassVar[Text] = {
        "he": "לרכב זה כבר יש תו חניה בתוקף באזור {zone}.",
        "ar": "لهذه المركبة تصريح وقوف ساري المفعول في المنطقة {zone}.",
        "en": "This vehicle already has a valid parking permit in zone {zone}.",
    }


# A permit's state, in words, for a sentence.
PERMIT_STATE_WORDS: dict[str, Text] = {
    "refused": {"he": "הבקשה נדחתה", "ar": "رُفض الطلب", "en": "it was refused"},
    "expired": {"he": "תוקפו פג", "ar": "انتهت صلاحيته", "en": "it has expired"},
    "cancelled": {"he": "הוא בוטל", "ar": "أُلغي", "en": "it was cancelled"},
    "ended": {"he": "הוא הסתיים", "ar": "انتهى", "en": "it has ended"},
}


class PermitNotActive(Conflict):
    code = "permit_not_active"
    message: ClassVar[Text] = {
        "he": "התו אינו בתוקף: {status}.",
        "ar": "التصريح غير ساري المفعول: {status}.",
        "en": "The permit is not in force: {status}.",
    }
    unworded: ClassVar[Text] = {
        "he": "התו אינו בתוקף.",
        "ar": "التصريح غير ساري المفعول.",
        "en": "The permit is not in force.",
    }

    def detail(self, language: Language) -> str:
        words = PERMIT_STATE_WORDS.get(str(self.params.get("status", "")))
        if words is None:
            return self.unworded[language]
        return render(self.message, language, status=words[language])


class SessionNotFound(NotFound):
    code = "session_not_found"
    message: ClassVar[Text] = {
        "he": "החניה לא נמצאה.",
        "ar": "جلسة الوقوف غير موجودة.",
        "en": "The parking session was not found.",
    }


class SessionRunning(Conflict):
    code = "session_running"
    message: ClassVar[Text] = {
        "he": "לרכב זה כבר יש חניה פעילה.",
        "ar": "لهذه المركبة جلسة وقوف جارية بالفعل.",
        "en": "This vehicle already has a parking session running.",
    }


class InspectionTimeOutOfRange(ToshavError):
    status_code = 422
    code = "inspection_time_out_of_range"
    message: ClassVar[Text] = {
        "he": "מועד הבדיקה חייב להיות בשבעת הימים האחרונים ולא בעתיד.",
        "ar": "يجب أن يكون وقت الفحص خلال الأيام السبعة الماضية وليس في المستقبل.",
        "en": "The inspection time must be within the last seven days and not in the future.",
    }


class InvalidSince(ToshavError):
    status_code = 422
    code = "invalid_since"
    message: ClassVar[Text] = {
        "he": "הפרמטר since חייב להיות מועד ISO 8601 עם אזור זמן.",
        "ar": "يجب أن يكون المعامل since وقتًا بصيغة ISO 8601 مع المنطقة الزمنية.",
        "en": "since must be an ISO 8601 moment with a time zone.",
    }
