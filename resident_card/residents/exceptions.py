"""What can go wrong with residents, their identifiers, enrolment and households."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, Forbidden, NotFound, ToshavError
from kernel.i18n import Text


class InvalidIdNumber(ToshavError):
    status_code = 422
    code = "invalid_id_number"
    message: ClassVar[Text] = {
        "he": "מספר תעודת הזהות אינו תקין (ספרת הביקורת אינה מתאימה).",
        "ar": "رقم الهوية غير صالح (رقم التحقق غير مطابق).",
        "en": "The ID number is not valid (its check digit does not match).",
    }


class InvalidIdentifier(ToshavError):
    status_code = 422
    code = "invalid_identifier"
    message: ClassVar[Text] = {
        "he": "המזהה אינו תקין: 4 עד 30 אותיות לטיניות או ספרות.",
        "ar": "المعرّف غير صالح: من 4 إلى 30 حرفًا لاتينيًا أو رقمًا.",
        "en": "The identifier is not valid: 4 to 30 Latin letters or digits.",
    }


class IdentifierTaken(Conflict):
    code = "identifier_taken"
    message: ClassVar[Text] = {
        "he": "מזהה זה כבר רשום אצל תושב אחר. לבירור פנו למוקד 106.",
        "ar": "هذا المعرّف مسجّل بالفعل لمقيم آخر. للاستفسار اتصلوا بالمركز 106.",
        "en": "This identifier is already enrolled. Please contact the city's 106 service centre.",
    }


class UnknownStreet(ToshavError):
    status_code = 422
    code = "unknown_street"
    message: ClassVar[Text] = {
        "he": "הרחוב אינו מוכר ברשימת הרחובות של העיר.",
        "ar": "الشارع غير معروف في قائمة شوارع المدينة.",
        "en": "The street is not on the city's street list.",
    }


class DateOfBirthInFuture(ToshavError):
    status_code = 422
    code = "date_of_birth_in_future"
    message: ClassVar[Text] = {
        "he": "תאריך הלידה אינו יכול להיות בעתיד.",
        "ar": "لا يمكن أن يكون تاريخ الميلاد في المستقبل.",
        "en": "The date of birth cannot be in the future.",
    }


class TooYoungToEnrol(ToshavError):
    status_code = 422
    code = "too_young_to_enrol"
    message: ClassVar[Text] = {
        "he": "רישום עצמאי אפשרי מגיל {minimum}. הורה או אפוטרופוס יכול להוסיף אותך למשק הבית שלו.",
        "ar": "التسجيل الذاتي ممكن من سن {minimum}. يمكن لأحد الوالدين أو الوصي إضافتك إلى أسرته.",
        "en": "You can enrol on your own from age {minimum}. A parent or guardian can add you to their household.",
    }


class ContactRequired(ToshavError):
    status_code = 422
    code = "contact_required"
    message: ClassVar[Text] = {
        "he": 'יש למסור כתובת דוא"ל או מספר טלפון.',
        "ar": "يجب تقديم بريد إلكتروني أو رقم هاتف.",
        "en": "Give an email address or a phone number.",
    }


class ResidentNotFound(NotFound):
    code = "resident_not_found"
    message: ClassVar[Text] = {
        "he": "התושב לא נמצא.",
        "ar": "لم يتم العثور على المقيم.",
        "en": "Resident not found.",
    }


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message: ClassVar[Text] = {
        "he": "לא ניתן לשנות סטטוס מ-{before} ל-{after}.",
        "ar": "لا يمكن تغيير الحالة من {before} إلى {after}.",
        "en": "The status cannot change from {before} to {after}.",
    }


class GuardianMustBeAdult(Forbidden):
    code = "guardian_must_be_adult"
    message: ClassVar[Text] = {
        "he": "רק תושב בגיר (מגיל 18) יכול להוסיף ילדים למשק הבית.",
        "ar": "فقط المقيم البالغ (من سن 18) يمكنه إضافة أطفال إلى الأسرة.",
        "en": "Only an adult resident (18 or older) can add children to the household.",
    }


class GuardianNotActive(Forbidden):
    code = "guardian_not_active"
    message: ClassVar[Text] = {
        "he": "לא ניתן להוסיף ילדים כשהרישום שלך אינו פעיל.",
        "ar": "لا يمكن إضافة أطفال عندما يكون تسجيلك غير نشط.",
        "en": "Children cannot be added while your registration is not active.",
    }


class WardNotMinor(ToshavError):
    status_code = 422
    code = "ward_not_minor"
    message: ClassVar[Text] = {
        "he": "ניתן להוסיף רק קטינים (עד גיל 18).",
        "ar": "يمكن إضافة القاصرين فقط (دون سن 18).",
        "en": "Only minors (under 18) can be added.",
    }


class AlreadyAWard(Conflict):
    code = "already_a_ward"
    message: ClassVar[Text] = {
        "he": "הקטין כבר רשום בחסותך.",
        "ar": "القاصر مسجّل بالفعل تحت رعايتك.",
        "en": "This minor is already in your care.",
    }


class InvalidImportField(ToshavError):
    """A row of the registry's export with a column that cannot be taken as it is."""

    status_code = 422
    code = "invalid_column"
    message: ClassVar[Text] = {
        "he": "הערך בעמודה {problem} חסר או אינו תקין.",
        "ar": "القيمة في العمود {problem} مفقودة أو غير صالحة.",
        "en": "The value in the {problem} column is missing or not valid.",
    }


class EmailTokenInvalid(ToshavError):
    status_code = 400
    code = "email_token_invalid"
    message: ClassVar[Text] = {
        "he": "הקישור לאישור כתובת הדוא״ל אינו תקף: ייתכן שפג תוקפו, שכבר נעשה בו שימוש, שנשלח קישור חדש יותר או שהוא שייך לחשבון אחר.",
        "ar": "رابط تأكيد البريد الإلكتروني غير صالح: ربما انتهت صلاحيته أو استُخدم من قبل أو أُرسل رابط أحدث أو أنه يخص حسابًا آخر.",
        "en": "This email confirmation link is not valid: it may have expired, been used already, been replaced by a newer one, or belong to another account.",
    }


class TooManyEmailChanges(ToshavError):
    status_code = 429
    code = "too_many_email_changes"
    message: ClassVar[Text] = {
        "he": "ביקשתם לשנות את כתובת הדוא״ל פעמים רבות מדי בשעה האחרונה. נסו שוב מאוחר יותר.",
        "ar": "طلبتم تغيير البريد الإلكتروني مرات كثيرة جدًا في الساعة الأخيرة. حاولوا مجددًا لاحقًا.",
        "en": "You asked to change your email too many times in the last hour. Please try again later.",
    }


class AddressOutsideCity(ToshavError):
    """A known street, but no range of the city's street list holds this house number."""

    status_code = 422
    code = "address_outside_city"
    message: ClassVar[Text] = {
        "he": "מספר הבית אינו ברשימת הכתובות של העיר ברחוב זה.",
        "ar": "رقم المنزل غير مدرج في قائمة عناوين المدينة في هذا الشارع.",
        "en": "This house number is not on the city's address list for this street.",
    }


class SameAddress(Conflict):
    code = "same_address"
    message: ClassVar[Text] = {
        "he": "התושב כבר רשום בכתובת זו.",
        "ar": "المقيم مسجّل بالفعل في هذا العنوان.",
        "en": "The resident already lives at this address.",
    }


class NotAResidentToMove(Conflict):
    code = "resident_not_movable"
    message: ClassVar[Text] = {
        "he": "אפשר לשנות כתובת רק לתושב מאומת או ממתין לאימות.",
        "ar": "يمكن تغيير العنوان فقط لمقيم موثّق أو بانتظار التوثيق.",
        "en": "Only a verified or pending resident's address can be changed.",
    }


class ClaimOpen(Conflict):
    code = "claim_open"
    message: ClassVar[Text] = {
        "he": "ההרשמה תובעת זהות של תושב רשום: יש להכריע בתביעה לפני כל שינוי סטטוס.",
        "ar": "يطالب هذا التسجيل بهوية مقيم مسجَّل: يجب البت في المطالبة قبل أي تغيير للحالة.",
        "en": "This enrolment claims a registered resident's identity: decide the claim before "
        "any change of status.",
    }


class NoOpenClaim(Conflict):
    code = "no_open_claim"
    message: ClassVar[Text] = {
        "he": "להרשמה זו אין תביעה פתוחה על זהות של תושב רשום.",
        "ar": "لا توجد لهذا التسجيل مطالبة مفتوحة بهوية مقيم مسجَّل.",
        "en": "This enrolment has no open claim on a registered resident's identity.",
    }
