"""A month's statement as a PDF a business keeps or prints: in the business's language, Hebrew and
Arabic shaped and right to left, shekels with two decimals, and whether it is final (the city
settled and paid the month) or provisional (the month so far, as of when it was made).

Made from the same record the CSV is made from (``Settlement.statement_csv``), with fpdf2 and
harfbuzz shaping, in Noto Sans fonts shipped in ``cashback/fonts`` under their OFL licence.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF

from cashback.earning import shekels_text
from cashback.models import Merchant, Settlement
from kernel.i18n import Language, Text, day_text, render

FONTS = Path(__file__).resolve().parent.parent / "fonts"
# The first font of each language's, then the others for what it lacks (digits, ₪, Latin names).
_FONT_FILES = {
    "latin": "NotoSans-Regular.ttf",
    "hebrew": "NotoSansHebrew-Regular.ttf",
    "arabic": "NotoSansArabic-Regular.ttf",
}
_MAIN_FONT: dict[Language, str] = {"he": "hebrew", "ar": "arabic", "en": "latin"}

MONTHS: dict[Language, tuple[str, ...]] = {
    "he": ("ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני", "יולי", "אוגוסט", "ספטמבר", "אוקטובר", "נובמבר", "דצמבר"),
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"),
}  # fmt: skip

_TEXTS: dict[str, Text] = {
    "title": {
        "he": "דוח חודשי: החזר כספי לתושבים",
        "ar": "كشف شهري: الاسترداد النقدي للسكان",
        "en": "Monthly statement: cashback for residents",
    },
    "business": {
        "he": "{name}, מספר רישום {number}",
        "ar": "{name}، رقم التسجيل {number}",
        "en": "{name}, registry number {number}",
    },
    "month": {"he": "חודש: {month}", "ar": "الشهر: {month}", "en": "Month: {month}"},
    "final": {
        "he": "סופי: החודש הסתיים והעירייה שילמה ({day}).",
        "ar": "نهائي: انتهى الشهر ودفعت البلدية ({day}).",
        "en": "Final: the month is over and the city paid ({day}).",
    },
    "provisional": {
        "he": "זמני: החודש עד כה, נכון ל־{day} בשעה {time}. הסכומים עוד ישתנו.",
        "ar": "مؤقت: الشهر حتى الآن، حتى {day} الساعة {time}. قد تتغير المبالغ.",
        "en": "Provisional: the month so far, as of {day} at {time}. The amounts may still change.",
    },
    "purchases": {
        "he": "רכישות: {count}, בסך {amount}",
        "ar": "المشتريات: {count}، بمجموع {amount}",
        "en": "Purchases: {count}, totalling {amount}",
    },
    "cashback": {
        "he": "החזר כספי לתושבים: {amount}",
        "ar": "الاسترداد النقدي للسكان: {amount}",
        "en": "Cashback to residents: {amount}",
    },
    "refunds": {"he": "זיכויים: {amount}", "ar": "المرتجعات: {amount}", "en": "Refunds: {amount}"},
    "redemptions": {
        "he": "תשלומים בהחזר כספי: {count}",
        "ar": "مدفوعات بالاسترداد النقدي: {count}",
        "en": "Payments with cashback: {count}",
    },
    "paid": {
        "he": "העירייה שילמה: {amount}",
        "ar": "دفعت البلدية: {amount}",
        "en": "The city paid: {amount}",
    },
    "owed": {
        "he": "העירייה חייבת עד כה: {amount}",
        "ar": "المستحق على البلدية حتى الآن: {amount}",
        "en": "The city owes so far: {amount}",
    },
    "lines": {"he": "פירוט", "ar": "التفاصيل", "en": "Line by line"},
    "no_lines": {
        "he": "אין רכישות החודש.",
        "ar": "لا مشتريات هذا الشهر.",
        "en": "No purchases this month.",
    },
    "at": {"he": "מועד", "ar": "الوقت", "en": "Time"},
    "kind": {"he": "סוג", "ar": "النوع", "en": "Kind"},
    "receipt": {"he": "קבלה", "ar": "الإيصال", "en": "Receipt"},
    "amount": {"he": "סכום", "ar": "المبلغ", "en": "Amount"},
    "cashback_column": {"he": "החזר כספי", "ar": "الاسترداد", "en": "Cashback"},
    "owed_column": {"he": "חוב העירייה", "ar": "على البلدية", "en": "Owed by the city"},
}
_KINDS: dict[str, Text] = {
    "purchase": {"he": "רכישה", "ar": "شراء", "en": "Purchase"},
    "refund": {"he": "זיכוי", "ar": "إرجاع", "en": "Refund"},
    "redemption": {"he": "תשלום בהחזר כספי", "ar": "دفع بالاسترداد", "en": "Paid with cashback"},
    "total": {"he": "סה״כ", "ar": "المجموع", "en": "Total"},
}
# The table's columns: the record's column, its heading, its width in millimetres.
_COLUMNS = (
    ("at", "at", 32.0),
    ("kind", "kind", 36.0),
    ("receipt", "receipt", 28.0),
    ("amount_agorot", "amount", 28.0),
    ("cashback_agorot", "cashback_column", 28.0),
    ("owed_agorot", "owed_column", 28.0),
)


def month_text(period: str, language: Language) -> str:
    """ "2026-12" as each language names a month: דצמבר 2026, ديسمبر 2026, December 2026."""
    year, month = period.split("-")
    return f"{MONTHS[language][int(month) - 1]} {year}"


def _at_text(value: str, language: Language) -> str:
    """The record's "2026-12-03 09:15" as the language writes a day, and the time."""
    if not value:
        return ""
    moment = datetime.strptime(value, "%Y-%m-%d %H:%M")  # noqa: DTZ007 - already the city's time
    return f"{day_text(moment.date())[language]} {moment:%H:%M}"


class _Document(FPDF):
    def __init__(self, language: Language) -> None:
        super().__init__(format="A4")
        self.language = language
        self.rtl = language != "en"
        for name, file in _FONT_FILES.items():
            self.add_font(name, fname=str(FONTS / file))
        main = _MAIN_FONT[language]
        self.set_font(main, size=10)
        self.set_fallback_fonts([name for name in _FONT_FILES if name != main])
        self.set_text_shaping(use_shaping_engine=True, direction="rtl" if self.rtl else "ltr")
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(render(_TEXTS["title"], language))
        self.set_lang(language)

    def say(self, text: str, *, size: float = 10, gap: float = 6) -> None:
        self.set_font_size(size)
        self.multi_cell(0, gap, text, align="R" if self.rtl else "L", new_x="LMARGIN", new_y="NEXT")

    def row(self, cells: list[str], *, header: bool = False) -> None:
        columns = list(zip(cells, [width for *_, width in _COLUMNS], strict=True))
        if self.rtl:  # the first column at the right
            columns.reverse()
        self.set_font_size(9)
        if header:
            self.set_fill_color(230, 230, 230)
        self.set_x(self.l_margin)
        for index, (text, width) in enumerate(columns):
            numeric = (len(columns) - 1 - index if self.rtl else index) >= 3
            align = "R" if numeric or self.rtl else "L"
            self.cell(width, 7, text, border="B", align=align, fill=header)
        self.ln(7)


def statement_pdf(
    settlement: Settlement,
    merchant: Merchant,
    *,
    final: bool,
    language: Language,
    now: datetime,
    zone: ZoneInfo,
) -> bytes:
    """The month's statement of the business as a PDF in ``language`` (see the module)."""

    def money(agorot: int) -> str:
        # A left-to-right mark keeps a minus before its number in a right-to-left line, as CLDR's
        # Hebrew and Arabic minus sign does.
        text = shekels_text(agorot)[language]
        return "\u200e" + text if agorot < 0 and language != "en" else text

    document = _Document(language)
    document.add_page()
    document.say(render(_TEXTS["title"], language), size=16, gap=9)
    document.say(
        render(_TEXTS["business"], language, name=merchant.name, number=merchant.registry_number),
        size=12,
        gap=7,
    )
    document.say(render(_TEXTS["month"], language, month=month_text(settlement.period, language)))
    if final:
        settled = settlement.created_at.astimezone(zone).date()
        document.say(render(_TEXTS["final"], language, day=day_text(settled)))
    else:
        local = now.astimezone(zone)
        document.say(
            render(
                _TEXTS["provisional"], language, day=day_text(local.date()), time=f"{local:%H:%M}"
            )
        )
    document.ln(3)
    document.say(
        render(
            _TEXTS["purchases"],
            language,
            count=settlement.purchases,
            amount=money(settlement.purchases_agorot),
        )
    )
    document.say(render(_TEXTS["cashback"], language, amount=money(settlement.cashback_agorot)))
    document.say(render(_TEXTS["refunds"], language, amount=money(settlement.refunds_agorot)))
    document.say(render(_TEXTS["redemptions"], language, count=settlement.redemptions))
    owed = _TEXTS["paid"] if final else _TEXTS["owed"]
    document.say(render(owed, language, amount=money(settlement.paid_agorot)))
    document.ln(3)
    document.say(render(_TEXTS["lines"], language), size=12, gap=8)
    rows = list(csv.DictReader(io.StringIO(settlement.statement_csv)))
    if len(rows) <= 1:  # the total alone
        document.say(render(_TEXTS["no_lines"], language))
    document.row([render(_TEXTS[heading], language) for _, heading, _ in _COLUMNS], header=True)
    for record in rows:
        cells = []
        for column, _, _ in _COLUMNS:
            value = record[column]
            if column.endswith("_agorot"):
                cells.append(money(int(value)))
            elif column == "kind":
                cells.append(_KINDS[value][language] if value in _KINDS else value)
            elif column == "at":
                cells.append(_at_text(value, language))
            else:
                cells.append(value)
        document.row(cells)
    return bytes(document.output())
