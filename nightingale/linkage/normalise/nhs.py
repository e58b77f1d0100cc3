"""NHS numbers: ten digits whose last is a Modulus 11 check digit.

Spaces and dashes are removed (``943 476 5919`` -> ``9434765919``). The check digit
is ``11 - (sum of the first nine digits weighted 10..2) mod 11``, with 11 read as 0 and
10 meaning the number cannot be valid. An invalid number is kept, marked invalid, and
never used for deterministic linkage.
"""

from __future__ import annotations


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits; ``None`` when no digit can be valid."""
    weights = range(10, 1, -1)
    total = sum(int(d) * w for d, w in zip(first_nine[:9], weights, strict=True))
    remainder = 11 - total % 11
    if remainder == 11:
        return 0
    return None if remainder == 10 else remainder


def normalise_nhs_number(value: str | None) -> tuple[str, bool]:
    """``(digits, valid)``; separators removed, other text kept as it was."""
    if not value:
        return "", False
    text = "".join(char for char in value.strip() if char not in " -")
    if len(text) != 10 or not (text.isascii() and text.isdigit()):
        return text, False
    return text, check_digit(text[:9]) == int(text[9])
