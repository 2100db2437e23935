"""What can go wrong with cards, their tokens and their photos."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, NotFound, ToshavError
from kernel.i18n import Language, Text, render

# A card's state, as the person reading the error reads it.
STATE_WORDS: dict[str, Text] = {
    "suspended": {"he": "מושעה", "ar": "موقوفة", "en": "suspended"},
    "revoked": {"he": "מבוטל", "ar": "ملغاة", "en": "revoked"},
    "expired": {"he": "פג תוקף", "ar": "منتهية الصلاحية", "en": "expired"},
}


class CardNotFound(NotFound):
    code = "card_not_found"
    message: ClassVar[Text] = {
        "he": "הכרטיס לא נמצא.",
        "ar": "البطاقة غير موجودة.",
        "en": "The card was not found.",
    }


class NoCard(NotFound):
    code = "no_card"
    message: ClassVar[Text] = {
        "he": "אין עדיין כרטיס תושב: הוא מונפק לאחר שהעירייה מאמתת את התושבות.",
        "ar": "لا توجد بطاقة مقيم بعد: تُصدر بعد أن تتحقق البلدية من الإقامة.",
        "en": "There is no resident card yet: it is issued once the city verifies residency.",
    }


class CardNotActive(Conflict):
    code = "card_not_active"
    message: ClassVar[Text] = {
        "he": "הכרטיס אינו פעיל ({status}), ולכן אין לו קוד QR.",
        "ar": "البطاقة غير فعّالة ({status})، لذلك لا رمز QR لها.",
        "en": "The card is not active ({status}), so it has no QR code.",
    }

    def detail(self, language: Language) -> str:
        state = str(self.params.get("status", ""))
        word = STATE_WORDS[state][language] if state in STATE_WORDS else state
        return render(self.message, language, status=word)


class CardAlreadyRevoked(Conflict):
    code = "card_already_revoked"
    message: ClassVar[Text] = {
        "he": "הכרטיס כבר בוטל.",
        "ar": "البطاقة ملغاة بالفعل.",
        "en": "The card is already revoked.",
    }


class InvalidCardTransition(Conflict):
    code = "invalid_card_transition"
    message: ClassVar[Text] = {
        "he": "לא ניתן להעביר כרטיס ממצב {before} למצב {after}.",
        "ar": "لا يمكن نقل البطاقة من الحالة {before} إلى {after}.",
        "en": "A card cannot go from {before} to {after}.",
    }


class PhotoNotFound(NotFound):
    code = "photo_not_found"
    message: ClassVar[Text] = {
        "he": "אין תמונה לכרטיס זה.",
        "ar": "لا توجد صورة لهذه البطاقة.",
        "en": "This card has no photo.",
    }


class InvalidPhoto(ToshavError):
    status_code = 422
    code = "invalid_photo"
    message: ClassVar[Text] = {
        "he": "התמונה אינה תקינה: יש להעלות JPEG, PNG או WebP.",
        "ar": "الصورة غير صالحة: يجب رفع JPEG أو PNG أو WebP.",
        "en": "The photo is not valid: upload a JPEG, PNG or WebP image.",
    }


class PhotoTooLarge(ToshavError):
    status_code = 422
    code = "photo_too_large"
    message: ClassVar[Text] = {
        "he": "התמונה גדולה מדי: עד {megabytes} MB ועד {megapixels} מגה-פיקסל.",
        "ar": "الصورة كبيرة جدًا: حتى {megabytes} ميغابايت و{megapixels} ميغابكسل.",
        "en": "The photo is too large: up to {megabytes} MB and {megapixels} megapixels.",
    }


# --- the phones that sign a card's tokens -----------------------------------------------------


class DeviceNotFound(NotFound):
    code = "device_not_found"
    message: ClassVar[Text] = {
        "he": "המכשיר לא נמצא.",
        "ar": "الجهاز غير موجود.",
        "en": "The device was not found.",
    }


class InvalidDeviceKey(ToshavError):
    status_code = 422
    code = "invalid_device_key"
    message: ClassVar[Text] = {
        "he": "המפתח הציבורי של המכשיר אינו תקין: נדרש מפתח P-256.",
        "ar": "المفتاح العام للجهاز غير صالح: يلزم مفتاح P-256.",
        "en": "The device's public key is not valid: a P-256 key is needed.",
    }


class TooManyDevices(Conflict):
    code = "too_many_devices"
    message: ClassVar[Text] = {
        "he": "לכרטיס כבר רשומים {count} מכשירים. יש להסיר מכשיר שאינו בשימוש ולנסות שוב.",
        "ar": "مسجّل للبطاقة {count} أجهزة بالفعل. أزيلوا جهازًا غير مستخدم وحاولوا مجددًا.",
        "en": "The card already has {count} devices. Remove one that is no longer used and try again.",
    }


class TooManyCodeGuesses(ToshavError):
    status_code = 429
    code = "too_many_code_guesses"
    message: ClassVar[Text] = {
        "he": "הוקלדו יותר מדי קודים שגויים. אפשר לסרוק את קוד ה־QR, או להקליד קוד שוב בעוד {minutes} דקות.",
        "ar": "أُدخلت رموز خاطئة كثيرة جدًا. يمكن مسح رمز QR، أو إدخال رمز مجددًا بعد {minutes} دقيقة.",
        "en": "Too many wrong codes were typed. Scan the QR code, or type a code again in {minutes} minutes.",
    }
