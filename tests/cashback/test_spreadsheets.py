"""A settled statement as a business downloads it: its language, shekels, and a byte-order mark."""

from __future__ import annotations

import csv
import io

import pytest

from cashback.service.settlement import STATEMENT_COLUMNS
from cashback.service.spreadsheets import shekels, statement_for_people

RECORD = (
    ",".join(STATEMENT_COLUMNS)
    + "\n2026-10,514000011,קפה כרמל,purchase,2026-10-03 09:15,R-1,12345,617,0"
    + "\n2026-10,514000011,קפה כרמל,refund,2026-10-04 10:00,R-1,-5000,-250,0"
    + "\n2026-10,514000011,קפה כרמל,total,,,7345,367,0\n"
)


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_hebrew_headers_kinds_and_shekels_beside_agorot() -> None:
    text = statement_for_people(RECORD, "he")
    rows = _rows(text)

    assert rows[0] == [
        "חודש",
        "מספר רישום",
        "עסק",
        "סוג",
        "מועד",
        "קבלה",
        "סכום (₪)",
        "סכום (אגורות)",
        "החזר כספי (₪)",
        "החזר כספי (אגורות)",
        "חוב העירייה (₪)",
        "חוב העירייה (אגורות)",
    ]
    assert rows[1][2:4] == ["קפה כרמל", "רכישה"]
    assert rows[1][6:10] == ["123.45", "12345", "6.17", "617"]
    assert rows[2][3] == "זיכוי"
    assert rows[2][6:8] == ["-50.00", "-5000"]
    assert rows[3][3] == "סה״כ"
    assert "\r\n" in text


def test_a_spreadsheet_reads_the_bytes_back_as_written() -> None:
    """UTF-8 with its mark: what Excel needs to show קפה כרמל rather than mojibake."""
    encoded = statement_for_people(RECORD, "ar").encode("utf-8")
    assert encoded.startswith(b"\xef\xbb\xbf")
    rows = _rows(encoded.decode("utf-8"))
    assert rows[0][3] == "النوع"
    assert rows[1][2] == "קפה כרמל"


@pytest.mark.parametrize(
    ("agorot", "written"), [(0, "0.00"), (5, "0.05"), (100, "1.00"), (-1234, "-12.34")]
)
def test_shekels_have_two_decimals(agorot: int, written: str) -> None:
    assert shekels(agorot) == written
