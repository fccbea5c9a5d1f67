"""Money helpers: every amount is a Decimal in yuan with two places (fen).

All rounding in Hotwave goes through :func:`quantize`: ROUND_HALF_UP to the
fen (0.005 → 0.01, 0.0049 → 0.00; negative values round away from zero
symmetrically, -0.005 → -0.01). Never float, never ``round()``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """A value that is not a valid amount of money or rate."""


def quantize(value: Decimal) -> Decimal:
    """Round a Decimal half-up to the fen. The only rounding helper in Hotwave."""
    if not isinstance(value, Decimal):
        raise TypeError(f"quantize() takes a Decimal, not {type(value).__name__}")
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def parse_decimal(
    text: object, *, places: int | None = 2, field: str = "amount", signed: bool = True
) -> Decimal:
    """Parse a decimal *string* strictly (ASCII digits, optional sign and point).

    Refuses floats, NaN/Infinity, exponents, spaces or separators inside,
    full-width digits, more than ``places`` decimal places and, when not
    ``signed``, any sign. Raises MoneyError with a readable message. The
    events import and every money field of every form (hotwave.fields) use it.
    """
    if not isinstance(text, str):
        raise MoneyError(f"{field} must be a decimal string, got {type(text).__name__}")
    s = text.strip()
    if not s or len(s) > 32 or not s.isascii():
        raise MoneyError(f"{field} is not a decimal number: {text[:40]!r}")
    if s[0] in "+-" and not signed:
        raise MoneyError(f"{field} must not carry a sign: {s}")
    body = s[1:] if s[0] in "+-" else s
    int_part, _, frac_part = body.partition(".")
    if not (int_part.isdigit() or (int_part == "" and frac_part.isdigit())) or (
        frac_part and not frac_part.isdigit()
    ):
        raise MoneyError(f"{field} is not a decimal number: {text[:40]!r}")
    try:
        value = Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - guarded above
        raise MoneyError(f"{field} is not a decimal number: {text[:40]!r}") from exc
    if places is not None and len(frac_part) > places:
        raise MoneyError(f"{field} has more than {places} decimal places: {s}")
    if value == 0 and s.startswith("-"):
        value = abs(value)  # no negative zero
    return value


def fen(value: Decimal) -> int:
    """Whole fen of an already-quantized amount (for SQL and integer maths)."""
    return int((value * 100).to_integral_exact())


def from_fen(n: int) -> Decimal:
    return (Decimal(n) / 100).quantize(FEN)


def format_cny(value: Decimal | None) -> str:
    """¥1,234.50 (negative: -¥1,234.50). Always two places, comma thousands."""
    if value is None:
        return "—"
    q = quantize(Decimal(value))
    sign = "-" if q < 0 else ""
    return f"{sign}¥{abs(q):,.2f}"


def percent_shares(amounts: list[Decimal], *, places: int = 1) -> list[Decimal]:
    """Each amount's share of their total as a percentage with ``places`` decimals, adding up
    to exactly 100 (largest remainder: every share rounded down, then the units left over go
    to the largest remainders, earlier rows first on ties). All zero when the total is not
    positive."""
    total = sum(amounts, Decimal(0))
    if total <= 0:
        return [Decimal(0).quantize(Decimal(1).scaleb(-places)) for _ in amounts]
    unit = Decimal(1).scaleb(-places)
    scale = Decimal(100) / unit  # how many units make 100%
    exact = [a * scale / total for a in amounts]
    floors = [int(e) for e in exact]
    left = int(scale) - sum(floors)
    order = sorted(range(len(amounts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(n) * unit).quantize(unit) for n in floors]
