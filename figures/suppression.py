"""The rule every published figure keeps: a figure about fewer than k people is not shown.

``k`` is ``TOSHAV_OPEN_DATA_K`` (default 10). A figure counts the people it describes (distinct
residents); zero people describe nothing, so zero is shown. The open data adds complementary
suppression on top of this rule, so a hidden cell cannot be worked out from the totals beside it.
"""

from __future__ import annotations


def too_few(people: int, k: int) -> bool:
    """Whether a figure about ``people`` people must be suppressed: some, but fewer than ``k``."""
    return 0 < people < k
