"""A month's statement as a business opens it in a spreadsheet: its own language, shekels.

The statement the city settled is kept as written (``Settlement.statement_csv``: English column
codes, agorot), and stays the record. What a business downloads is made from it for a person: the
column headers and the kinds of line in the business's language, every amount in shekels with two
decimals beside its agorot, UTF-8 with a byte-order mark and CRLF line ends, so a spreadsheet opens
Hebrew and Arabic names as written rather than as mojibake.
"""

from __future__ import annotations

import csv
import io

from kernel.i18n import Language, Text

BYTE_ORDER_MARK = "\ufeff"

_HEADERS: dict[str, Text] = {
    "period": {"he": "חודש", "ar": "الشهر", "en": "Month"},
    "registry_number": {"he": "מספר רישום", "ar": "رقم التسجيل", "en": "Registry number"},
    "business": {"he": "עסק", "ar": "المصلحة", "en": "Business"},
    "kind": {"he": "סוג", "ar": "النوع", "en": "Kind"},
    "at": {"he": "מועד", "ar": "الوقت", "en": "Time"},
    "receipt": {"he": "קבלה", "ar": "الإيصال", "en": "Receipt"},
    "amount": {"he": "סכום", "ar": "المبلغ", "en": "Amount"},
    "cashback": {"he": "החזר כספי", "ar": "الاسترداد النقدي", "en": "Cashback"},
    "owed": {"he": "חוב העירייה", "ar": "مستحق على البلدية", "en": "Owed by the city"},
}
_KINDS: dict[str, Text] = {
    "purchase": {"he": "רכישה", "ar": "شراء", "en": "Purchase"},
    "refund": {"he": "זיכוי", "ar": "إرجاع", "en": "Refund"},
    "redemption": {"he": "תשלום בהחזר כספי", "ar": "دفع بالاسترداد", "en": "Paid with cashback"},
    "total": {"he": "סה״כ", "ar": "المجموع", "en": "Total"},
}
_AGOROT: Text = {"he": "{name} (אגורות)", "ar": "{name} (أغورات)", "en": "{name} (agorot)"}
_MONEY_SUFFIX = "_agorot"


def shekels(agorot: int) -> str:
    """Agorot as shekels with two decimals and a point, as spreadsheets read numbers: -1234 →
    "-12.34"."""
    sign = "-" if agorot < 0 else ""
    whole, cents = divmod(abs(agorot), 100)
    return f"{sign}{whole}.{cents:02d}"


def statement_for_people(statement_csv: str, language: Language) -> str:
    """The settled statement as the business downloads it, in ``language`` (see the module)."""
    reader = csv.DictReader(io.StringIO(statement_csv))
    rows = list(reader)
    columns = list(reader.fieldnames or [])
    headers: list[str] = []
    for column in columns:
        if column.endswith(_MONEY_SUFFIX):
            name = _HEADERS[column.removesuffix(_MONEY_SUFFIX)][language]
            headers += [
                f"{name} (₪)",
                _AGOROT[language].format(name=name),
            ]
        else:
            headers.append(_HEADERS[column][language])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        cells: list[str] = []
        for column in columns:
            value = row[column]
            if column.endswith(_MONEY_SUFFIX):
                cells += [shekels(int(value)), value]
            elif column == "kind":
                cells.append(_KINDS[value][language] if value in _KINDS else value)
            else:
                cells.append(value)
        writer.writerow(cells)
    return BYTE_ORDER_MARK + buffer.getvalue()
