"""Identifiers: the Israeli ID check digit, other kinds of identifier, and what is kept of them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resident_card.residents.exceptions import InvalidIdentifier, InvalidIdNumber
from resident_card.residents.identifiers import (
    IdentifierKind,
    id_number_check_digit,
    is_valid_id_number,
    normalise_id_number,
    protect,
)
from tests.factories import israeli_id

KEY = "test-id-hash-key-" + "x" * 32
eight_digits = st.text(alphabet="0123456789", min_size=8, max_size=8)


@pytest.mark.parametrize(
    "number", ["123456782", "000000018", "039337423", "12345678-2", " 123 456 782 "]
)
def test_known_valid_numbers_pass(number: str) -> None:
    assert len(normalise_id_number(number)) == 9


@pytest.mark.parametrize(
    "number", ["123456789", "000000000", "0", "1234567820", "12345678a", "", "---", "١٢٣٤٥٦٧٨٢"]
)
def test_invalid_numbers_are_refused(number: str) -> None:
    with pytest.raises(InvalidIdNumber):
        normalise_id_number(number)


def test_shorter_numbers_are_left_padded_as_the_ministry_writes_them() -> None:
    assert normalise_id_number("18") == "000000018"
    assert normalise_id_number("39337423") == "039337423"


@given(eight_digits)
def test_the_check_digit_completes_any_eight_digits(first_eight: str) -> None:
    number = first_eight + str(id_number_check_digit(first_eight))
    if number == "000000000":
        assert not is_valid_id_number(number)
    else:
        assert is_valid_id_number(number)


@given(eight_digits, st.integers(0, 8), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(first_eight: str, position: int, shift: int) -> None:
    number = first_eight + str(id_number_check_digit(first_eight))
    wrong_digit = (int(number[position]) + shift) % 10
    typo = number[:position] + str(wrong_digit) + number[position + 1 :]
    assert not is_valid_id_number(typo)


@given(eight_digits.filter(lambda d: d != "00000000"))
def test_leading_zeros_may_be_left_out(first_eight: str) -> None:
    number = first_eight + str(id_number_check_digit(first_eight))
    assert normalise_id_number(number.lstrip("0")) == number


@given(st.integers(0, 10**8 - 1))
def test_the_test_builder_makes_valid_numbers(seed: int) -> None:
    assert is_valid_id_number(israeli_id(seed))


def test_the_test_builder_gives_distinct_numbers_for_distinct_seeds() -> None:
    assert len({israeli_id(seed) for seed in range(5_000)}) == 5_000


def test_only_a_keyed_hash_and_the_last_three_digits_are_kept() -> None:
    kept = protect(KEY, "israeli_id", "123456782")
    assert kept.kind is IdentifierKind.israeli_id
    assert kept.hint == "782"
    assert kept.masked == "•••••• 782"
    assert len(kept.hash) == 64
    assert "123456782" not in kept.hash
    assert kept == protect(KEY, "israeli_id", "123-456-782")
    assert kept.hash != protect("another-key-" + "y" * 32, "israeli_id", "123456782").hash


def test_the_kind_is_part_of_the_hash() -> None:
    assert protect(KEY, "passport", "12345678").hash != protect(KEY, "other", "12345678").hash


def test_references_are_normalised_and_bounded() -> None:
    assert protect(KEY, "passport", "ab 123-456").hash == protect(KEY, "passport", "AB123456").hash
    assert protect(KEY, "foster_care", "fc/2024/0042").hint == "042"
    for bad in ("ab1", "x" * 31, "AB12345!", "פספורט123"):
        with pytest.raises(InvalidIdentifier):
            protect(KEY, "passport", bad)


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="driving_licence"):
        protect(KEY, "driving_licence", "1234567")
