"""What can go wrong when posting to, holding on, or reading the ledger."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, NotFound, Unprocessable
from kernel.i18n import Text


class AccountNotFound(NotFound):
    code = "account_not_found"
    message: ClassVar[Text] = {
        "he": "החשבון לא נמצא.",
        "ar": "الحساب غير موجود.",
        "en": "The account was not found.",
    }


class TransactionNotFound(NotFound):
    code = "transaction_not_found"
    message: ClassVar[Text] = {
        "he": "התנועה לא נמצאה.",
        "ar": "الحركة غير موجودة.",
        "en": "The transaction was not found.",
    }


class HoldNotFound(NotFound):
    code = "hold_not_found"
    message: ClassVar[Text] = {
        "he": "השריון לא נמצא.",
        "ar": "الحجز غير موجود.",
        "en": "The hold was not found.",
    }


class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    message: ClassVar[Text] = {
        "he": "היתרה בחשבון אינה מספיקה.",
        "ar": "الرصيد في الحساب غير كافٍ.",
        "en": "The account's balance is not enough.",
    }


class AlreadyReversed(Conflict):
    code = "already_reversed"
    message: ClassVar[Text] = {
        "he": "התנועה כבר בוטלה.",
        "ar": "تم عكس هذه الحركة من قبل.",
        "en": "This transaction has already been reversed.",
    }


class HoldAlreadyCaptured(Conflict):
    code = "hold_already_captured"
    message: ClassVar[Text] = {
        "he": "השריון כבר מומש.",
        "ar": "تم تنفيذ هذا الحجز من قبل.",
        "en": "This hold has already been captured.",
    }


class HoldAlreadyReleased(Conflict):
    code = "hold_already_released"
    message: ClassVar[Text] = {
        "he": "השריון כבר שוחרר.",
        "ar": "تم تحرير هذا الحجز من قبل.",
        "en": "This hold has already been released.",
    }


class HoldExpired(Conflict):
    code = "hold_expired"
    message: ClassVar[Text] = {
        "he": "תוקף השריון פג.",
        "ar": "انتهت صلاحية هذا الحجز.",
        "en": "This hold has expired.",
    }


class AccountSettingsMismatch(Conflict):
    code = "account_settings_mismatch"
    message: ClassVar[Text] = {
        "he": "החשבון כבר קיים עם הגדרת יתרה שלילית אחרת.",
        "ar": "الحساب موجود مسبقًا بإعداد مختلف للرصيد السالب.",
        "en": "The account already exists with a different negative-balance setting.",
    }


class IdempotencyMismatch(Unprocessable):
    code = "idempotency_mismatch"
    message: ClassVar[Text] = {
        "he": "מפתח האידמפוטנטיות כבר שימש לבקשה בתוכן אחר.",
        "ar": "مفتاح عدم التكرار استُخدم من قبل لطلب بمحتوى مختلف.",
        "en": "This idempotency key was already used for a request with different content.",
    }


class UnitMismatch(Unprocessable):
    code = "unit_mismatch"
    message: ClassVar[Text] = {
        "he": "יחידת המידה אינה תואמת לחשבון.",
        "ar": "وحدة القياس لا تطابق الحساب.",
        "en": "The unit does not match the account's unit.",
    }


class UnbalancedTransaction(Unprocessable):
    code = "unbalanced_transaction"
    message: ClassVar[Text] = {
        "he": "סכומי הרישומים אינם מתאזנים לאפס בכל יחידה.",
        "ar": "مجموع القيود لا يساوي صفرًا في كل وحدة.",
        "en": "The postings do not sum to zero in each unit.",
    }


class TooFewPostings(Unprocessable):
    code = "too_few_postings"
    message: ClassVar[Text] = {
        "he": "תנועה צריכה לפחות שני רישומים.",
        "ar": "تحتاج الحركة إلى قيدين على الأقل.",
        "en": "A transaction needs at least two postings.",
    }


class InvalidPosting(Unprocessable):
    code = "invalid_posting"
    message: ClassVar[Text] = {
        "he": "רישום אינו תקין: {problem}",
        "ar": "قيد غير صالح: {problem}",
        "en": "A posting is not valid: {problem}",
    }


class InvalidCaptureAmount(Unprocessable):
    code = "invalid_capture_amount"
    message: ClassVar[Text] = {
        "he": "סכום המימוש חייב להיות בין 1 ל-{maximum}.",
        "ar": "يجب أن يكون مبلغ التنفيذ بين 1 و{maximum}.",
        "en": "The amount to capture must be between 1 and {maximum}.",
    }


class PartialCaptureNotSupported(Unprocessable):
    code = "partial_capture_not_supported"
    message: ClassVar[Text] = {
        "he": "מימוש חלקי אפשרי רק לשריון עם שני רישומים.",
        "ar": "التنفيذ الجزئي ممكن فقط لحجز بقيدين.",
        "en": "Only a hold with exactly two postings can be captured in part.",
    }


class InvalidExpiry(Unprocessable):
    code = "invalid_expiry"
    message: ClassVar[Text] = {
        "he": "מועד פקיעת השריון חייב להיות בעתיד.",
        "ar": "يجب أن يكون موعد انتهاء الحجز في المستقبل.",
        "en": "A hold must expire in the future.",
    }


class InvalidAccountOwner(Unprocessable):
    code = "invalid_account_owner"
    message: ClassVar[Text] = {
        "he": "בעל החשבון אינו תקין: {problem}",
        "ar": "صاحب الحساب غير صالح: {problem}",
        "en": "The account's owner is not valid: {problem}",
    }
