"""What can go wrong with the keys that sign credentials."""

from __future__ import annotations

from typing import ClassVar

from kernel.errors import Conflict, NotFound, ToshavError
from kernel.i18n import Text


class NoSigningKey(ToshavError):
    status_code = 503
    code = "no_signing_key"
    message: ClassVar[Text] = {
        "he": "אין עדיין מפתח חתימה פעיל. יש להריץ: toshav keys rotate",
        "ar": "لا يوجد مفتاح توقيع فعّال بعد. يجب تشغيل: toshav keys rotate",
        "en": "There is no active signing key yet. Run: toshav keys rotate",
    }


class SigningKeyUnreadable(ToshavError):
    status_code = 503
    code = "signing_key_unreadable"
    message: ClassVar[Text] = {
        "he": "לא ניתן לפתוח את מפתח החתימה {kid}: מפתח ההצפנה (TOSHAV_CREDENTIAL_KEY) השתנה. יש להחליף מפתח: toshav keys rotate --activate-in 0",
        "ar": "تعذّر فتح مفتاح التوقيع {kid}: تغيّر مفتاح التشفير (TOSHAV_CREDENTIAL_KEY). يجب تدوير المفتاح: toshav keys rotate --activate-in 0",
        "en": "The signing key {kid} cannot be opened: the credential key (TOSHAV_CREDENTIAL_KEY) changed. Rotate: toshav keys rotate --activate-in 0",
    }


class SigningKeyNotFound(NotFound):
    code = "signing_key_not_found"
    message: ClassVar[Text] = {
        "he": "אין מפתח חתימה {kid}.",
        "ar": "لا يوجد مفتاح توقيع {kid}.",
        "en": "There is no signing key {kid}.",
    }


class SigningKeyAlreadyRetired(Conflict):
    code = "signing_key_already_retired"
    message: ClassVar[Text] = {
        "he": "מפתח החתימה {kid} כבר הוצא משימוש.",
        "ar": "مفتاح التوقيع {kid} متقاعد بالفعل.",
        "en": "The signing key {kid} is already retired.",
    }


class SigningKeyStillSigns(Conflict):
    code = "signing_key_still_signs"
    message: ClassVar[Text] = {
        "he": "אישורים שעדיין בתוקף שנחתמו במפתח {kid}: {count}. יש להנפיק אותם מחדש (toshav keys retire {kid} --reissue) לפני שהמפתח יוצא משימוש.",
        "ar": "اعتمادات ما زالت سارية وقّعها المفتاح {kid}: {count}. يجب إعادة إصدارها (toshav keys retire {kid} --reissue) قبل تقاعد المفتاح.",
        "en": "Credentials the key {kid} signed that are still valid: {count}. Re-issue them (toshav keys retire {kid} --reissue) before the key is retired.",
    }


class SigningKeyInUse(Conflict):
    code = "signing_key_in_use"
    message: ClassVar[Text] = {
        "he": "מפתח החתימה {kid} הוא זה שחותם כעת. יש להחליף מפתח תחילה (toshav keys rotate) ולהמתין שהחדש ייכנס לשימוש.",
        "ar": "مفتاح التوقيع {kid} هو الذي يوقّع الآن. يجب تدوير المفتاح أولًا (toshav keys rotate) وانتظار تفعيل الجديد.",
        "en": "The signing key {kid} is the one signing now. Rotate first (toshav keys rotate) and wait for the new key to take over.",
    }
