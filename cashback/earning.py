"""Cashback's arithmetic: how much cashback a purchase earns and why (in the resident's words),
what a refund takes back, which fraud signals a purchase raises, and the figures and names they
are shown in (agorot, rates, business categories, registry numbers). No database, no clock: the
service feeds it figures."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kernel.i18n import Language, Text
from resident_card.residents.identifiers import is_valid_id_number

# Far above any purchase at a small business (₪10 million), far below any overflow.
MAX_AMOUNT_AGOROT = 10**9
_SEPARATORS = re.compile(r"[\s\-./]")


# --- the business registry number -----------------------------------------------------------------


def normalise_registry_number(value: str) -> str | None:
    """Nine digits whose last is the check digit (the Israeli ID number's algorithm), or None."""
    cleaned = _SEPARATORS.sub("", value)
    if len(cleaned) != 9 or not cleaned.isascii() or not cleaned.isdigit():
        return None
    return cleaned if is_valid_id_number(cleaned) else None


# --- the categories of business, as people read them ------------------------------------------------

CATEGORY_NAMES: dict[str, Text] = {
    "grocery": {"he": "מכולת וסופר", "ar": "بقالة وسوبرماركت", "en": "Grocery"},
    "restaurant": {"he": "מסעדה", "ar": "مطعم", "en": "Restaurant"},
    "cafe": {"he": "בית קפה", "ar": "مقهى", "en": "Café"},
    "clothing": {"he": "ביגוד והנעלה", "ar": "ملابس وأحذية", "en": "Clothing and shoes"},
    "books": {"he": "ספרים וכלי כתיבה", "ar": "كتب وقرطاسية", "en": "Books and stationery"},
    "pharmacy": {"he": "בית מרקחת", "ar": "صيدلية", "en": "Pharmacy"},
    "hardware": {"he": "כלי בית וחומרי בניין", "ar": "أدوات منزلية ومواد بناء", "en": "Hardware"},
    "beauty": {"he": "טיפוח ויופי", "ar": "عناية وتجميل", "en": "Beauty and care"},
    "services": {"he": "שירותים", "ar": "خدمات", "en": "Services"},
    "other": {"he": "אחר", "ar": "أخرى", "en": "Other"},
}


# --- money as people read it ----------------------------------------------------------------------


def format_agorot(amount: int) -> str:
    """₪1,234.50: shekels with two digits of agorot (Western digits in all three languages)."""
    sign = "-" if amount < 0 else ""
    shekels, agorot = divmod(abs(amount), 100)
    return f"{sign}₪{shekels:,}.{agorot:02d}"


def shekels_text(amount: int) -> Text:
    """Agorot as each language writes money, as the pages write it: 1,234.50 ₪ in Hebrew and
    Arabic, ₪1,234.50 in English (Western digits in all three)."""
    sign = "-" if amount < 0 else ""
    number = format_agorot(abs(amount)).removeprefix("₪")
    return {
        "he": f"{sign}{number}\u00a0₪",
        "ar": f"{sign}{number}\u00a0₪",
        "en": format_agorot(amount),
    }


def format_rate(rate_bp: int) -> str:
    """Basis points as a percentage: 1000 → 10%, 250 → 2.5%, 1 → 0.01%."""
    whole, rest = divmod(rate_bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


# --- why: the reasons a purchase earned what it earned ---------------------------------------------

WHY: dict[str, Text] = {
    "eligible": {
        "he": "התושב זכאי לתוכנית “{programme}”.",
        "ar": "المقيم مؤهل لبرنامج “{programme}”.",
        "en": "The resident is eligible for “{programme}”.",
    },
    "rate": {
        "he": "{rate} מ-{amount} בקמפיין “{campaign}”: {earned}.",
        "ar": "{rate} من {amount} في حملة “{campaign}”: {earned}.",
        "en": "{rate} of {amount} under the campaign “{campaign}”: {earned}.",
    },
    "cap_per_purchase": {
        "he": "הוגבל לתקרה של {cap} לקנייה.",
        "ar": "حُدِّد بالسقف {cap} لكل عملية شراء.",
        "en": "Capped at {cap} per purchase.",
    },
    "cap_month": {
        "he": "הוגבל ל-{remaining} שנותרו מתקרת החודש ({cap}).",
        "ar": "حُدِّد بـ{remaining} المتبقية من سقف الشهر ({cap}).",
        "en": "Capped at the {remaining} left of this month's cap ({cap}).",
    },
    "cap_day": {
        "he": "הוגבל ל-{remaining} שנותרו מתקרת היום בעסק הזה ({cap}).",
        "ar": "حُدِّد بـ{remaining} المتبقية من سقف اليوم في هذه المصلحة ({cap}).",
        "en": "Capped at the {remaining} left of today's cap at this business ({cap}).",
    },
    "held": {
        "he": "ההחזר שמור לתקופת ההחזרות ({days} ימים) וזמין מ-{date}.",
        "ar": "الاسترداد محجوز لفترة الإرجاع ({days} يومًا) ومتاح من {date}.",
        "en": "Held for the {days}-day return window; available from {date}.",
    },
}


def reason(code: str, **params: Any) -> dict[str, Any]:
    """One stored reason: its code and its parameters (texts in three languages, or plain)."""
    return {"code": code, "params": params}


def render_reason(stored: Mapping[str, Any], language: Language) -> str:
    """A stored reason in one language; a parameter given in three languages is picked from."""
    params = {
        name: value[language] if isinstance(value, dict) else value
        for name, value in dict(stored.get("params") or {}).items()
    }
    template = WHY[str(stored["code"])][language]
    return template.format(**params)


# --- how much a purchase earns ---------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """A campaign's terms, as the rules read them."""

    rate_bp: int
    min_purchase_agorot: int
    cap_per_purchase_agorot: int | None
    cap_per_resident_month_agorot: int | None
    cap_per_resident_business_day_agorot: int | None
    names: Text


@dataclass(frozen=True)
class Earned:
    cashback_agorot: int
    reasons: list[dict[str, Any]]


@dataclass(frozen=True)
class NotEarned:
    """Why a campaign gives nothing: ``below_minimum`` or ``cap_reached`` (with the cap's text)."""

    kind: str
    cap: str = ""
    minimum: str = ""


def earn(
    terms: Terms, amount_agorot: int, *, used_this_month: int, used_today_here: int
) -> Earned | NotEarned:
    """The cashback a purchase earns under a campaign, with the reasons, given what the resident
    already earned this month (in this campaign) and today at this business."""
    if amount_agorot < max(1, terms.min_purchase_agorot):
        return NotEarned("below_minimum", minimum=format_agorot(terms.min_purchase_agorot))
    full = amount_agorot * terms.rate_bp // 10_000
    if full < 1:
        return NotEarned("below_minimum", minimum=format_agorot(terms.min_purchase_agorot))
    reasons = [
        reason(
            "rate",
            rate=format_rate(terms.rate_bp),
            amount=shekels_text(amount_agorot),
            campaign=dict(terms.names),
            earned=shekels_text(full),
        )
    ]
    cashback = full
    if terms.cap_per_purchase_agorot is not None and cashback > terms.cap_per_purchase_agorot:
        cashback = terms.cap_per_purchase_agorot
        reasons.append(reason("cap_per_purchase", cap=shekels_text(cashback)))
    for cap, used, code in (
        (terms.cap_per_resident_month_agorot, used_this_month, "cap_month"),
        (terms.cap_per_resident_business_day_agorot, used_today_here, "cap_day"),
    ):
        if cap is None:
            continue
        remaining = cap - used
        if remaining <= 0:
            return NotEarned("cap_reached", cap=format_agorot(cap))
        if cashback > remaining:
            cashback = remaining
            reasons.append(reason(code, remaining=shekels_text(remaining), cap=shekels_text(cap)))
    return Earned(cashback, reasons)


def taken_back(cashback: int, amount: int, refunded_after: int, returned_before: int) -> int:
    """The cashback a refund takes back: what keeps the cashback kept proportional to what was
    kept of the purchase (rounded in the resident's favour until the last agora is refunded)."""
    return cashback * refunded_after // amount - returned_before


# --- fraud signals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Where the fraud signals start; the city sets them (TOSHAV_CASHBACK_…, see the README)."""

    # A resident making more purchases than this in an hour, anywhere.
    resident_purchases_per_hour: int
    # A business recording more purchases than this in ten minutes.
    business_purchases_per_ten_minutes: int
    # The same resident at the same business this many times in one day.
    repeats_per_day: int
    # A round amount (whole hundreds of shekels) from this much.
    round_amount_from_agorot: int
    # An amount this many standard deviations above the business's usual, once it has this many
    # earlier purchases.
    outlier_deviations: float
    outlier_min_history: int


SIGNALS: dict[str, Text] = {
    "resident_velocity": {
        "he": "תושב עם קניות רבות בשעה אחת",
        "ar": "مقيم بمشتريات كثيرة في ساعة واحدة",
        "en": "Many purchases by one resident within an hour",
    },
    "business_velocity": {
        "he": "עסק עם קניות רבות בעשר דקות",
        "ar": "مصلحة بمشتريات كثيرة في عشر دقائق",
        "en": "Many purchases at one business within ten minutes",
    },
    "repeated_pair": {
        "he": "אותו תושב באותו עסק פעמים רבות ביום",
        "ar": "المقيم نفسه في المصلحة نفسها مرات كثيرة في اليوم",
        "en": "The same resident at the same business many times in a day",
    },
    "round_amount": {
        "he": "סכום עגול וגבוה",
        "ar": "مبلغ مدوَّر ومرتفع",
        "en": "A high, round amount",
    },
    "outlying_amount": {
        "he": "סכום חריג לעסק",
        "ar": "مبلغ غير معتاد لهذه المصلحة",
        "en": "An amount far above the business's usual",
    },
}


@dataclass(frozen=True)
class PurchaseFigures:
    """What the signals look at, counting the purchase itself."""

    amount_agorot: int
    resident_last_hour: int
    business_last_ten_minutes: int
    pair_today: int
    # The business's earlier purchases (not this one): how many, their mean and standard deviation.
    business_history: int = 0
    business_mean: float = 0.0
    business_deviation: float = 0.0


def fraud_signals(
    figures: PurchaseFigures, thresholds: Thresholds
) -> list[tuple[str, dict[str, Any]]]:
    """The signals a purchase raises, each with the figures that raised it."""
    found: list[tuple[str, dict[str, Any]]] = []
    per_hour = thresholds.resident_purchases_per_hour
    if figures.resident_last_hour > per_hour:
        found.append(
            ("resident_velocity", {"purchases": figures.resident_last_hour, "limit": per_hour})
        )
    per_ten_minutes = thresholds.business_purchases_per_ten_minutes
    if figures.business_last_ten_minutes > per_ten_minutes:
        found.append(
            (
                "business_velocity",
                {"purchases": figures.business_last_ten_minutes, "limit": per_ten_minutes},
            )
        )
    if figures.pair_today >= thresholds.repeats_per_day:
        found.append(
            (
                "repeated_pair",
                {"purchases": figures.pair_today, "limit": thresholds.repeats_per_day},
            )
        )
    amount = figures.amount_agorot
    if amount >= thresholds.round_amount_from_agorot and amount % 10_000 == 0:
        found.append(("round_amount", {"amount_agorot": amount}))
    if figures.business_history >= thresholds.outlier_min_history:
        # A floor on the deviation, so a business whose every sale is alike is not flagged for ₪1 more.
        deviation = max(figures.business_deviation, figures.business_mean * 0.1, 100.0)
        threshold = figures.business_mean + thresholds.outlier_deviations * deviation
        if amount > threshold:
            found.append(
                (
                    "outlying_amount",
                    {
                        "amount_agorot": amount,
                        "usual_mean_agorot": round(figures.business_mean),
                        "threshold_agorot": round(threshold),
                    },
                )
            )
    return found


def best_first(offers: Sequence[tuple[Any, Earned]]) -> list[tuple[Any, Earned]]:
    """The offers, the most cashback first (the resident gets the best campaign that has budget)."""
    return sorted(offers, key=lambda offer: -offer[1].cashback_agorot)
