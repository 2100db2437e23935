"""What can go wrong with programmes, their rules, decisions and periodic allowances."""

from __future__ import annotations

from typing import ClassVar

from benefits.eligibility.rule_problems import RuleProblem
from kernel.errors import Conflict, NotFound, ToshavError
from kernel.i18n import Language, Text


class ProgrammeNotFound(NotFound):
    code = "programme_not_found"
    message: ClassVar[Text] = {
        "he": "התוכנית {programme} לא נמצאה.",
        "ar": "البرنامج {programme} غير موجود.",
        "en": "There is no programme {programme}.",
    }


class ProgrammeExists(Conflict):
    code = "programme_exists"
    message: ClassVar[Text] = {
        "he": "כבר קיימת תוכנית בקוד {programme}.",
        "ar": "يوجد برنامج بالرمز {programme} بالفعل.",
        "en": "A programme with the code {programme} already exists.",
    }


class ProgrammeRetired(Conflict):
    code = "programme_retired"
    message: ClassVar[Text] = {
        "he": "התוכנית {programme} הופסקה ואינה ניתנת לשינוי.",
        "ar": "تم إيقاف البرنامج {programme} ولا يمكن تغييره.",
        "en": "The programme {programme} has been retired and cannot be changed.",
    }


class ProgrammeNotActive(ToshavError):
    status_code = 422
    code = "programme_not_active"
    message: ClassVar[Text] = {
        "he": "התוכנית {programme} אינה פעילה כעת.",
        "ar": "البرنامج {programme} غير فعّال الآن.",
        "en": "The programme {programme} is not running now.",
    }


class RuleVersionNotFound(NotFound):
    code = "rule_version_not_found"
    message: ClassVar[Text] = {
        "he": "לתוכנית {programme} אין גרסת כלל {version}.",
        "ar": "لا يوجد للبرنامج {programme} إصدار قاعدة رقم {version}.",
        "en": "The programme {programme} has no rule version {version}.",
    }


class RuleVersionRetired(Conflict):
    code = "rule_version_retired"
    message: ClassVar[Text] = {
        "he": "גרסת הכלל {version} כבר הוצאה משימוש.",
        "ar": "تم سحب إصدار القاعدة {version} بالفعل.",
        "en": "Rule version {version} has already been retired.",
    }


class RuleOverlap(ToshavError):
    status_code = 422
    code = "rule_overlap"
    message: ClassVar[Text] = {
        "he": "טווח התאריכים חופף לגרסת הכלל {version} ({start} – {end}).",
        "ar": "نطاق التواريخ يتداخل مع إصدار القاعدة {version} ({start} – {end}).",
        "en": "The dates overlap rule version {version} ({start} – {end}).",
    }


class RuleGap(ToshavError):
    status_code = 422
    code = "rule_gap"
    message: ClassVar[Text] = {
        "he": 'בין {start} ל־{end} לא יחול אף כלל. אם זו הכוונה, שלחו "allow_gap": true.',
        "ar": 'لن تسري أي قاعدة بين {start} و{end}. إذا كان ذلك مقصودًا فأرسلوا "allow_gap": true.',
        "en": 'No rule would apply between {start} and {end}. If that is meant, send "allow_gap": true.',
    }


class InvalidPeriod(ToshavError):
    status_code = 422
    code = "invalid_period"
    message: ClassVar[Text] = {
        "he": "התקופה אינה תקינה: {problem}",
        "ar": "الفترة غير صالحة: {problem}",
        "en": "The period is not valid: {problem}",
    }


class InvalidRule(ToshavError):
    """A rule that cannot be read: the problem and where it is (``all[2].value: expected int``)."""

    status_code = 422
    code = "invalid_rule"
    message: ClassVar[Text] = {
        "he": "הכלל אינו תקין: {problem}",
        "ar": "القاعدة غير صالحة: {problem}",
        "en": "The rule is not valid: {problem}",
    }

    def __init__(self, problem: RuleProblem) -> None:
        self.problem = problem
        super().__init__()

    def detail(self, language: Language) -> str:
        return self.message[language].format(problem=self.problem.describe(language))


class UnknownFact(InvalidRule):
    """A rule names a fact the city does not know (yet): refused when the rule is saved."""

    code = "unknown_fact"


class NoResidentRecord(NotFound):
    code = "no_resident_record"
    message: ClassVar[Text] = {
        "he": "לחשבון זה אין רשומת תושב. יש להירשם כתושב כדי לראות הטבות.",
        "ar": "لا يوجد سجل مقيم لهذا الحساب. يجب التسجيل كمقيم لرؤية المزايا.",
        "en": "This account has no resident record. Register as a resident to see benefits.",
    }


class DecisionNotFound(NotFound):
    code = "decision_not_found"
    message: ClassVar[Text] = {
        "he": "ההחלטה לא נמצאה.",
        "ar": "القرار غير موجود.",
        "en": "No such decision.",
    }


class NoAllowance(ToshavError):
    status_code = 422
    code = "no_allowance"
    message: ClassVar[Text] = {
        "he": "לתוכנית {programme} אין הקצבה תקופתית.",
        "ar": "ليس للبرنامج {programme} مخصص دوري.",
        "en": "The programme {programme} has no periodic allowance.",
    }


class PeriodNotOpen(ToshavError):
    status_code = 422
    code = "period_not_open"
    message: ClassVar[Text] = {
        "he": "ההקצבה לתקופה {period} ניתנת רק במהלכה ({start} – {end}).",
        "ar": "يُمنح مخصص الفترة {period} خلالها فقط ({start} – {end}).",
        "en": "The allowance for {period} is granted only during it ({start} – {end}).",
    }


class PeriodNotOver(ToshavError):
    status_code = 422
    code = "period_not_over"
    message: ClassVar[Text] = {
        "he": "יתרת ההקצבה לתקופה {period} פגה רק בסופה ({end}).",
        "ar": "لا ينتهي رصيد مخصص الفترة {period} إلا في نهايتها ({end}).",
        "en": "The allowance for {period} expires only at its end ({end}).",
    }
