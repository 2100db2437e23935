"""What can go wrong with businesses, campaigns, purchases, refunds, redemptions and settlement."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, Forbidden, NotFound, Unprocessable
from kernel.i18n import Language, Text, render

# --- businesses -----------------------------------------------------------------------------------


class MerchantNotFound(NotFound):
    code = "merchant_not_found"
    message: ClassVar[Text] = {
        "he": "העסק לא נמצא.",
        "ar": "المصلحة التجارية غير موجودة.",
        "en": "The business was not found.",
    }


class NotMerchantStaff(NotFound):
    """A merchant account that belongs to no business has no business to show: like a resident
    account with no resident record, it is not found."""

    code = "not_merchant_staff"
    message: ClassVar[Text] = {
        "he": "החשבון אינו משויך לעסק בתוכנית ההחזר הכספי.",
        "ar": "هذا الحساب غير مرتبط بمصلحة تجارية في برنامج الاسترداد النقدي.",
        "en": "This account does not belong to a business in the cashback scheme.",
    }


class AlreadyMerchantStaff(Conflict):
    code = "already_merchant_staff"
    message: ClassVar[Text] = {
        "he": "החשבון כבר משויך לעסק.",
        "ar": "هذا الحساب مرتبط بمصلحة تجارية بالفعل.",
        "en": "This account already belongs to a business.",
    }


class NotAMerchantAccount(Unprocessable):
    code = "not_a_merchant_account"
    message: ClassVar[Text] = {
        "he": "רק חשבון בתפקיד 'עסק' יכול להיות עובד של עסק.",
        "ar": "فقط حساب بدور 'مصلحة تجارية' يمكن أن يكون موظفًا في مصلحة.",
        "en": "Only an account with the merchant role can be a business's staff.",
    }


class NotBusinessOwner(Forbidden):
    code = "not_business_owner"
    message: ClassVar[Text] = {
        "he": "רק בעל העסק מוסיף ומסיר עובדים.",
        "ar": "صاحب المصلحة وحده يضيف الموظفين ويزيلهم.",
        "en": "Only the business's owner adds and removes staff.",
    }


class StaffLoginNotFound(NotFound):
    code = "staff_login_not_found"
    message: ClassVar[Text] = {
        "he": "אין חשבון עם שם המשתמש הזה. אפשר ליצור חשבון חדש לעובד.",
        "ar": "لا يوجد حساب باسم المستخدم هذا. يمكن إنشاء حساب جديد للموظف.",
        "en": "There is no login with this username. You can make a new login for them.",
    }


class NotAStaffLogin(Unprocessable):
    code = "not_a_staff_login"
    message: ClassVar[Text] = {
        "he": "חשבון של עובד עירייה או פקח אינו יכול לעבוד בקופה של עסק.",
        "ar": "حساب موظف بلدية أو مراقب لا يمكن أن يعمل في صندوق مصلحة.",
        "en": "A city clerk's or an inspector's login cannot work at a business's till.",
    }


class OwnerStays(Conflict):
    code = "owner_stays"
    message: ClassVar[Text] = {
        "he": "בעל העסק אינו יכול להסיר את עצמו.",
        "ar": "لا يمكن لصاحب المصلحة إزالة نفسه.",
        "en": "The owner cannot remove themselves.",
    }


class InvalidRegistryNumber(Unprocessable):
    code = "invalid_registry_number"
    message: ClassVar[Text] = {
        "he": "מספר הרישום של העסק אינו תקין (9 ספרות עם ספרת ביקורת).",
        "ar": "رقم تسجيل المصلحة غير صالح (9 أرقام مع رقم تحقق).",
        "en": "The business registry number is not valid (9 digits with a check digit).",
    }


class RegistryNumberTaken(Conflict):
    code = "registry_number_taken"
    message: ClassVar[Text] = {
        "he": "עסק עם מספר רישום זה כבר רשום.",
        "ar": "مصلحة بهذا الرقم مسجلة بالفعل.",
        "en": "A business with this registry number is already registered.",
    }


class AddressNotInCity(Unprocessable):
    code = "address_not_in_city"
    message: ClassVar[Text] = {
        "he": "הכתובת אינה ברשימת הרחובות של העיר.",
        "ar": "العنوان ليس في قائمة شوارع المدينة.",
        "en": "The address is not in the city's street list.",
    }


class InvalidMerchantTransition(Conflict):
    code = "invalid_merchant_transition"
    message: ClassVar[Text] = {
        "he": "לא ניתן לשנות עסק במצב '{before}' למצב '{after}'.",
        "ar": "لا يمكن تغيير مصلحة في حالة '{before}' إلى '{after}'.",
        "en": "A business that is {before} cannot become {after}.",
    }


# Where a business that may not use the till stands, in words (never the status's code).
STANDING: dict[str, Text] = {
    "pending": {
        "he": "הבקשה ממתינה להחלטת העירייה",
        "ar": "الطلب بانتظار قرار البلدية",
        "en": "its application is waiting for the city's decision",
    },
    "suspended": {"he": "העסק הושעה", "ar": "المصلحة معلّقة", "en": "the business is suspended"},
    "rejected": {"he": "הבקשה נדחתה", "ar": "تم رفض الطلب", "en": "its application was rejected"},
    "approved": {"he": "העסק מאושר", "ar": "المصلحة معتمدة", "en": "the business is approved"},
}


class MerchantNotApproved(Forbidden):
    code = "merchant_not_approved"
    message: ClassVar[Text] = {
        "he": "העסק אינו מאושר כרגע בתוכנית ההחזר הכספי: {status}.",
        "ar": "المصلحة غير معتمدة حاليًا في برنامج الاسترداد النقدي: {status}.",
        "en": "The business is not approved in the cashback scheme right now: {status}.",
    }


# --- campaigns ------------------------------------------------------------------------------------


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message: ClassVar[Text] = {
        "he": "הקמפיין לא נמצא.",
        "ar": "الحملة غير موجودة.",
        "en": "The campaign was not found.",
    }


class CampaignExists(Conflict):
    code = "campaign_exists"
    message: ClassVar[Text] = {
        "he": "כבר קיים קמפיין בקוד {campaign}.",
        "ar": "توجد حملة بالرمز {campaign} بالفعل.",
        "en": "A campaign with the code {campaign} already exists.",
    }


class InvalidCampaign(Unprocessable):
    code = "invalid_campaign"
    message: ClassVar[Text] = {
        "he": "הקמפיין אינו תקין: {problem}",
        "ar": "الحملة غير صالحة: {problem}",
        "en": "The campaign is not valid: {problem}",
    }


class CampaignPaused(Conflict):
    """A purchase where the only campaigns are paused; or pausing (or changing the state of) a
    campaign that is paused already."""

    code = "campaign_paused"
    message: ClassVar[Text] = {
        "he": "הקמפיין מושהה כרגע ({campaign}).",
        "ar": "الحملة متوقفة مؤقتًا حاليًا ({campaign}).",
        "en": "The campaign is paused right now ({campaign}).",
    }


class CampaignNotPaused(Conflict):
    code = "campaign_not_paused"
    message: ClassVar[Text] = {
        "he": "הקמפיין אינו מושהה ({campaign}).",
        "ar": "الحملة ليست متوقفة مؤقتًا ({campaign}).",
        "en": "The campaign is not paused ({campaign}).",
    }


class CampaignEnded(Conflict):
    """A purchase where the campaigns have ended; or changing, funding, pausing or ending a
    campaign that has ended."""

    code = "campaign_ended"
    message: ClassVar[Text] = {
        "he": "הקמפיין הסתיים ({campaign}).",
        "ar": "انتهت الحملة ({campaign}).",
        "en": "The campaign has ended ({campaign}).",
    }


# --- purchases and redemptions --------------------------------------------------------------------


class IdempotencyKeyRequired(Unprocessable):
    code = "idempotency_key_required"
    message: ClassVar[Text] = {
        "he": "חסרה כותרת Idempotency-Key תקינה (1 עד 200 תווים גלויים).",
        "ar": "ترويسة Idempotency-Key الصالحة مفقودة (من 1 إلى 200 حرف مرئي).",
        "en": "A valid Idempotency-Key header is required (1 to 200 visible characters).",
    }


class AmountInvalid(Unprocessable):
    code = "amount_invalid"
    message: ClassVar[Text] = {
        "he": "הסכום אינו תקין: {problem}",
        "ar": "المبلغ غير صالح: {problem}",
        "en": "The amount is not valid: {problem}",
    }


# Why a card's code was refused, in words: the machine's reason never shows inside a sentence.
CARD_REFUSALS: dict[str, Text] = {
    "malformed": {"he": "הקוד אינו קריא", "ar": "الرمز غير مقروء", "en": "the code cannot be read"},
    "bad_signature": {
        "he": "חתימת הקוד שגויה",
        "ar": "توقيع الرمز غير صحيح",
        "en": "the code's signature does not match",
    },
    "unknown_kid": {
        "he": "הקוד נחתם במפתח לא מוכר",
        "ar": "الرمز موقّع بمفتاح غير معروف",
        "en": "the code was signed with an unknown key",
    },
    "expired": {"he": "פג תוקף הקוד", "ar": "انتهت صلاحية الرمز", "en": "the code has expired"},
    "not_yet_valid": {
        "he": "הקוד עדיין אינו בתוקף",
        "ar": "الرمز غير ساري بعد",
        "en": "the code is not valid yet",
    },
    "wrong_audience": {
        "he": "זה אינו קוד של כרטיס תושב",
        "ar": "هذا ليس رمز بطاقة مقيم",
        "en": "this is not a resident card's code",
    },
    "unknown_device": {
        "he": "הטלפון שהציג את הקוד אינו רשום לכרטיס",
        "ar": "الهاتف الذي عرض الرمز غير مسجّل للبطاقة",
        "en": "the phone showing the code is not registered to the card",
    },
    "device_revoked": {
        "he": "הטלפון שהציג את הקוד הוסר מהכרטיס",
        "ar": "الهاتف الذي عرض الرمز أُزيل من البطاقة",
        "en": "the phone showing the code was removed from the card",
    },
    "wrong_card": {
        "he": "הקוד אינו של הכרטיס הזה",
        "ar": "الرمز ليس لهذه البطاقة",
        "en": "the code is not this card's",
    },
    "wrong_code": {
        "he": "הקוד שהוקלד שגוי או שפג תוקפו",
        "ar": "الرمز المُدخل خاطئ أو انتهت صلاحيته",
        "en": "the typed code is wrong or has expired",
    },
    "unknown_card": {
        "he": "הכרטיס לא נמצא",
        "ar": "البطاقة غير موجودة",
        "en": "the card is unknown",
    },
    "card_suspended": {"he": "הכרטיס מושעה", "ar": "البطاقة موقوفة", "en": "the card is suspended"},
    "card_revoked": {"he": "הכרטיס בוטל", "ar": "البطاقة ملغاة", "en": "the card is revoked"},
    "card_expired": {
        "he": "תוקף הכרטיס פג",
        "ar": "انتهت صلاحية البطاقة",
        "en": "the card has expired",
    },
}


class CardInvalid(Unprocessable):
    code = "card_invalid"
    message: ClassVar[Text] = {
        "he": "הכרטיס אינו תקף: {reason}. בקשו מהתושב להציג קוד חדש.",
        "ar": "البطاقة غير صالحة: {reason}. اطلبوا من المقيم عرض رمز جديد.",
        "en": "The card is not valid: {reason}. Ask the resident to show a fresh code.",
    }
    unworded: ClassVar[Text] = {
        "he": "הכרטיס אינו תקף. בקשו מהתושב להציג קוד חדש.",
        "ar": "البطاقة غير صالحة. اطلبوا من المقيم عرض رمز جديد.",
        "en": "The card is not valid. Ask the resident to show a fresh code.",
    }

    def detail(self, language: Language) -> str:
        why = CARD_REFUSALS.get(str(self.params.get("reason", "")))
        if why is None:
            return self.unworded[language]
        return render(self.message, language, reason=why[language])


class TokenReplayed(Conflict):
    code = "token_replayed"
    message: ClassVar[Text] = {
        "he": "קוד הכרטיס הזה כבר שימש. בקשו מהתושב להציג קוד חדש.",
        "ar": "رمز البطاقة هذا استُخدم من قبل. اطلبوا من المقيم عرض رمز جديد.",
        "en": "This card code has already been used. Ask the resident to show a fresh one.",
    }


class NoCampaign(Unprocessable):
    code = "no_campaign"
    message: ClassVar[Text] = {
        "he": "אין כרגע קמפיין החזר כספי פעיל לעסק הזה.",
        "ar": "لا توجد حاليًا حملة استرداد نقدي فعّالة لهذه المصلحة.",
        "en": "No cashback campaign runs for this business right now.",
    }


class ResidentNotEligible(Unprocessable):
    code = "resident_not_eligible"
    message: ClassVar[Text] = {
        "he": "התושב אינו זכאי להחזר כספי בקמפיין הזה.",
        "ar": "المقيم غير مؤهل للاسترداد النقدي في هذه الحملة.",
        "en": "The resident is not eligible for cashback in this campaign.",
    }


class CapReached(Conflict):
    code = "cap_reached"
    message: ClassVar[Text] = {
        "he": "התושב הגיע לתקרת ההחזר הכספי ({cap}).",
        "ar": "بلغ المقيم الحد الأقصى للاسترداد النقدي ({cap}).",
        "en": "The resident has reached the cashback cap ({cap}).",
    }


class BudgetExhausted(Conflict):
    code = "budget_exhausted"
    message: ClassVar[Text] = {
        "he": "תקציב הקמפיין נוצל במלואו.",
        "ar": "نفدت ميزانية الحملة.",
        "en": "The campaign's budget is used up.",
    }


class InsufficientCashback(Conflict):
    code = "insufficient_cashback"
    message: ClassVar[Text] = {
        "he": "יתרת ההחזר הכספי הזמינה היא {available}.",
        "ar": "رصيد الاسترداد النقدي المتاح هو {available}.",
        "en": "The cashback balance available is {available}.",
    }


class PurchaseNotFound(NotFound):
    code = "purchase_not_found"
    message: ClassVar[Text] = {
        "he": "הקנייה לא נמצאה.",
        "ar": "عملية الشراء غير موجودة.",
        "en": "The purchase was not found.",
    }


# --- refunds --------------------------------------------------------------------------------------


class RefundTooLarge(Unprocessable):
    code = "refund_too_large"
    message: ClassVar[Text] = {
        "he": "ניתן להחזיר לכל היותר {remaining} מהקנייה הזו.",
        "ar": "يمكن إرجاع {remaining} على الأكثر من هذه العملية.",
        "en": "At most {remaining} of this purchase can still be refunded.",
    }


class RefundOfRefund(Unprocessable):
    code = "refund_of_refund"
    message: ClassVar[Text] = {
        "he": "זהו החזר, לא קנייה: לא ניתן להחזיר החזר.",
        "ar": "هذا إرجاع وليس شراء: لا يمكن إرجاع الإرجاع.",
        "en": "This is a refund, not a purchase: a refund cannot be refunded.",
    }


# --- settlement and flags -------------------------------------------------------------------------


class PeriodNotOver(Unprocessable):
    code = "period_not_over"
    message: ClassVar[Text] = {
        "he": "החודש {period} עוד לא הסתיים.",
        "ar": "الشهر {period} لم ينتهِ بعد.",
        "en": "The month {period} is not over yet.",
    }


class StatementNotFound(NotFound):
    code = "statement_not_found"
    message: ClassVar[Text] = {
        "he": "אין דוח לחודש הזה.",
        "ar": "لا يوجد كشف لهذا الشهر.",
        "en": "There is no statement for this month.",
    }


class FlagNotFound(NotFound):
    code = "flag_not_found"
    message: ClassVar[Text] = {
        "he": "הסימון לא נמצא.",
        "ar": "العلامة غير موجودة.",
        "en": "The flag was not found.",
    }


class FlagAlreadyResolved(Conflict):
    code = "flag_already_resolved"
    message: ClassVar[Text] = {
        "he": "הסימון כבר טופל.",
        "ar": "تمت معالجة هذه العلامة من قبل.",
        "en": "This flag has already been resolved.",
    }
