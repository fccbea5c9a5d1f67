from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotwave.money import MoneyError, format_cny, parse_decimal, quantize


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("14.9985", "15.00"),
        ("3.465", "3.47"),
        ("0.005", "0.01"),
        ("0.0049", "0.00"),
        ("-0.005", "-0.01"),
        ("2.675", "2.68"),
    ],
)
def test_quantize_rounds_half_up_to_the_fen(value, expected):
    assert quantize(Decimal(value)) == Decimal(expected)


def test_quantize_refuses_floats():
    with pytest.raises(TypeError):
        quantize(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad",
    [
        1.5,
        None,
        "",
        "abc",
        "1e5",
        "NaN",
        "Infinity",
        "１２",
        "1.234",
        "--1",
        "1.2.3",
        ".",
        " ",
        "x" * 100,
    ],
)
def test_parse_decimal_refuses_what_is_not_a_plain_decimal_string(bad):
    with pytest.raises(MoneyError):
        parse_decimal(bad)


def test_parse_decimal_accepts_plain_strings():
    assert parse_decimal("199.00") == Decimal("199.00")
    assert parse_decimal("-0.00") == Decimal("0.00")
    assert parse_decimal("0.2", places=4) == Decimal("0.2")


@pytest.mark.parametrize(
    ("value", "text"),
    [("1234.5", "¥1,234.50"), ("0", "¥0.00"), ("-12", "-¥12.00"), ("1234567.891", "¥1,234,567.89")],
)
def test_format_cny(value, text):
    assert format_cny(Decimal(value)) == text


@given(
    st.decimals(
        min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6
    )
)
def test_quantize_is_within_half_a_fen(value):
    assert abs(quantize(value) - value) <= Decimal("0.005")
