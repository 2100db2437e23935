"""The pure rules: registry numbers, money as read, what a purchase earns, what a refund takes back,
and which signals a purchase raises."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cashback import earning
from cashback.earning import Earned, NotEarned, PurchaseFigures, Terms
from cashback.service.flags import fraud_thresholds
from toshav.settings import ServiceSettings

NAMES = {"he": "ק", "ar": "ك", "en": "C"}


def terms(**overrides: object) -> Terms:
    values: dict[str, object] = {
        "rate_bp": 1000,
        "min_purchase_agorot": 0,
        "cap_per_purchase_agorot": None,
        "cap_per_resident_month_agorot": None,
        "cap_per_resident_business_day_agorot": None,
        "names": NAMES,
    }
    values.update(overrides)
    return Terms(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("515040012", "515040012"),
        ("51-504-0012", "515040012"),
        (" 515040012 ", "515040012"),
        ("515040013", None),
        ("15040012", None),
        ("5150400120", None),
        ("51504001٢", None),
        ("000000000", None),
    ],
)
def test_registry_numbers_use_the_id_number_check_digit(value: str, expected: str | None) -> None:
    assert earning.normalise_registry_number(value) == expected


@pytest.mark.parametrize(
    ("agorot", "text"),
    [
        (0, "₪0.00"),
        (5, "₪0.05"),
        (1_250, "₪12.50"),
        (123_456_789, "₪1,234,567.89"),
        (-50, "-₪0.50"),
    ],
)
def test_money_as_people_read_it(agorot: int, text: str) -> None:
    assert earning.format_agorot(agorot) == text


@pytest.mark.parametrize(
    ("bp", "text"), [(1000, "10%"), (250, "2.5%"), (1, "0.01%"), (10_000, "100%")]
)
def test_rates(bp: int, text: str) -> None:
    assert earning.format_rate(bp) == text


def test_earning_rounds_down_and_caps_in_order() -> None:
    plain = earning.earn(terms(), 999, used_this_month=0, used_today_here=0)
    assert isinstance(plain, Earned)
    assert plain.cashback_agorot == 99
    assert earning.render_reason(plain.reasons[0], "en") == (
        "10% of ₪9.99 under the campaign “C”: ₪0.99."
    )
    capped = earning.earn(
        terms(cap_per_purchase_agorot=500, cap_per_resident_month_agorot=2_000),
        10_000,
        used_this_month=1_700,
        used_today_here=0,
    )
    assert isinstance(capped, Earned)
    assert capped.cashback_agorot == 300
    assert [r["code"] for r in capped.reasons] == ["rate", "cap_per_purchase", "cap_month"]
    assert earning.render_reason(capped.reasons[2], "en") == (
        "Capped at the ₪3.00 left of this month's cap (₪20.00)."
    )


def test_not_earning_says_why() -> None:
    assert earning.earn(
        terms(min_purchase_agorot=1_000), 999, used_this_month=0, used_today_here=0
    ) == (NotEarned("below_minimum", minimum="₪10.00"))
    assert earning.earn(terms(), 9, used_this_month=0, used_today_here=0) == NotEarned(
        "below_minimum", minimum="₪0.00"
    )
    assert earning.earn(
        terms(cap_per_resident_business_day_agorot=1_000),
        5_000,
        used_this_month=0,
        used_today_here=1_000,
    ) == NotEarned("cap_reached", cap="₪10.00")


@given(
    cashback=st.integers(1, 10**6),
    extra=st.integers(0, 10**6),
    cuts=st.lists(st.integers(1, 10**6), min_size=1, max_size=8),
)
def test_refunds_take_back_at_most_what_was_given_and_all_of_it_at_the_end(
    cashback: int, extra: int, cuts: list[int]
) -> None:
    amount = cashback + extra
    refunded = returned = 0
    for cut in cuts:
        step = min(cut, amount - refunded)
        if step == 0:
            break
        taken = earning.taken_back(cashback, amount, refunded + step, returned)
        assert taken >= 0
        refunded += step
        returned += taken
        # What the resident keeps is never more than the share of the purchase they kept.
        assert cashback - returned <= cashback * (amount - refunded) // amount + 1
    final = earning.taken_back(cashback, amount, amount, returned)
    assert returned + final == cashback


def test_signals() -> None:
    # The city's defaults (TOSHAV_CASHBACK_…).
    thresholds = fraud_thresholds(ServiceSettings())
    quiet = PurchaseFigures(1_234, 1, 1, 1)
    assert earning.fraud_signals(quiet, thresholds) == []
    busy = PurchaseFigures(1_234, 6, 61, 4)
    assert [s for s, _ in earning.fraud_signals(busy, thresholds)] == [
        "resident_velocity",
        "business_velocity",
        "repeated_pair",
    ]
    assert [s for s, _ in earning.fraud_signals(PurchaseFigures(20_000, 1, 1, 1), thresholds)] == [
        "round_amount"
    ]
    assert earning.fraud_signals(PurchaseFigures(19_900, 1, 1, 1), thresholds) == []
    usual = {"business_history": 20, "business_mean": 5_000.0, "business_deviation": 500.0}
    assert earning.fraud_signals(PurchaseFigures(7_000, 1, 1, 1, **usual), thresholds) == []  # type: ignore[arg-type]
    outlier = earning.fraud_signals(PurchaseFigures(7_001, 1, 1, 1, **usual), thresholds)  # type: ignore[arg-type]
    assert outlier == [
        (
            "outlying_amount",
            {"amount_agorot": 7_001, "usual_mean_agorot": 5_000, "threshold_agorot": 7_000},
        )
    ]
    # Too little history: no outliers yet.
    young = {**usual, "business_history": 19}
    assert earning.fraud_signals(PurchaseFigures(70_001, 1, 1, 1, **young), thresholds) == []  # type: ignore[arg-type]


def test_every_signal_and_reason_reads_in_three_languages() -> None:
    for texts in (
        *earning.SIGNALS.values(),
        *earning.WHY.values(),
        *earning.CATEGORY_NAMES.values(),
    ):
        assert set(texts) == {"he", "ar", "en"}
        assert all(texts[language].strip() for language in ("he", "ar", "en"))
