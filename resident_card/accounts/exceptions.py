"""What can go wrong when signing in, refreshing, or managing users."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, NotAuthenticated, NotFound, ToshavError
from kernel.i18n import Text


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    message: ClassVar[Text] = {
        "he": "שם המשתמש או הסיסמה שגויים.",
        "ar": "اسم المستخدم أو كلمة المرور غير صحيحة.",
        "en": "The username or password is wrong.",
    }


class TooManyAttempts(ToshavError):
    status_code = 429
    code = "too_many_attempts"
    message: ClassVar[Text] = {
        "he": "יותר מדי ניסיונות כניסה שגויים מכאן. נסו שוב בעוד {seconds} שניות.",
        "ar": "محاولات دخول خاطئة كثيرة جدًا من هنا. حاولوا مجددًا بعد {seconds} ثانية.",
        "en": "Too many failed sign-ins from here. Try again in {seconds} seconds.",
    }


class InvalidRefreshToken(NotAuthenticated):
    code = "invalid_refresh_token"
    message: ClassVar[Text] = {
        "he": "אסימון הרענון אינו תקף. יש להתחבר מחדש.",
        "ar": "رمز التحديث غير صالح. يرجى تسجيل الدخول من جديد.",
        "en": "The refresh token is not valid. Please sign in again.",
    }


class UsernameTaken(Conflict):
    code = "username_taken"
    message: ClassVar[Text] = {
        "he": "שם המשתמש כבר תפוס.",
        "ar": "اسم المستخدم مستخدم بالفعل.",
        "en": "This username is already taken.",
    }


class InvalidUsername(ToshavError):
    status_code = 422
    code = "invalid_username"
    message: ClassVar[Text] = {
        "he": "שם משתמש: 3 עד 150 אותיות לטיניות, ספרות או התווים . _ - + @, ללא רווחים.",
        "ar": "اسم المستخدم: من 3 إلى 150 حرفًا لاتينيًا أو رقمًا أو الرموز . _ - + @، بدون مسافات.",
        "en": "A username is 3 to 150 Latin letters, digits or . _ - + @, without spaces.",
    }


class WeakPassword(ToshavError):
    status_code = 422
    code = "weak_password"
    message: ClassVar[Text] = {
        "he": "הסיסמה חייבת להכיל לפחות {minimum} תווים, לא יותר מ-1024 בתים, וללא התו NUL.",
        "ar": "يجب أن تتكون كلمة المرور من {minimum} حرفًا على الأقل، وألا تتجاوز 1024 بايت، وألا تحتوي على المحرف NUL.",
        "en": "The password must be at least {minimum} characters and at most 1024 bytes long, with no NUL character.",
    }


class ResidentNeedsEnrolment(ToshavError):
    status_code = 422
    code = "resident_needs_enrolment"
    message: ClassVar[Text] = {
        "he": "חשבונות תושבים נפתחים בהרשמת התושב, לא כאן. כאן נפתחים חשבונות צוות בלבד.",
        "ar": "تُفتح حسابات السكان عند تسجيل المقيم، لا هنا. هنا تُفتح حسابات الموظفين فقط.",
        "en": "Resident accounts are opened when a resident enrols, not here. This opens staff accounts only.",
    }


class UserNotFound(NotFound):
    code = "user_not_found"
    message: ClassVar[Text] = {
        "he": "המשתמש לא נמצא.",
        "ar": "المستخدم غير موجود.",
        "en": "No such user.",
    }


class CannotDisableSelf(Conflict):
    code = "cannot_disable_self"
    message: ClassVar[Text] = {
        "he": "אי אפשר להשבית את החשבון שלך עצמך.",
        "ar": "لا يمكنك تعطيل حسابك بنفسك.",
        "en": "You cannot disable your own account.",
    }


class ResetTokenInvalid(ToshavError):
    status_code = 400
    code = "reset_token_invalid"
    message: ClassVar[Text] = {
        "he": "הקישור לאיפוס הסיסמה אינו תקף: ייתכן שפג תוקפו, שכבר נעשה בו שימוש או שנשלח קישור חדש יותר. בקשו קישור חדש.",
        "ar": "رابط إعادة تعيين كلمة المرور غير صالح: ربما انتهت صلاحيته أو استُخدم من قبل أو أُرسل رابط أحدث. اطلبوا رابطًا جديدًا.",
        "en": "This password reset link is not valid: it may have expired, been used already, or been replaced by a newer one. Ask for a new link.",
    }
