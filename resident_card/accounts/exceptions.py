"""What can go wrong when signing in, refreshing, or managing users."""

from __future__ import annotations

from typing import ClassVar

from resident_card.errors import Conflict, NotAuthenticated, ToshavError
from resident_card.i18n import Text


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
        "he": "יותר מדי ניסיונות כניסה. נסו שוב בעוד {minutes} דקות.",
        "ar": "محاولات دخول كثيرة جدًا. حاول مجددًا بعد {minutes} دقيقة.",
        "en": "Too many sign-in attempts. Try again in {minutes} minutes.",
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


class WeakPassword(ToshavError):
    status_code = 422
    code = "weak_password"
    message: ClassVar[Text] = {
        "he": "הסיסמה חייבת להכיל {minimum} עד 1024 בתים.",
        "ar": "يجب أن تتكون كلمة المرور من {minimum} إلى 1024 بايت.",
        "en": "The password must be {minimum} to 1024 bytes long.",
    }
