"""What a reader sees of a text: the one definition of "blank" that every rule needing a value shares.

A value made only of characters that show nothing (spaces of every kind, zero-width and other format
characters, combining marks with nothing to combine with, and letters that render as blank space such
as the Hangul fillers and the braille blank) is empty wherever a value is required, and the L3 result
length counts only what a reader sees.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# A regular expression compiled when first used, then kept. Compiled at import, a module's patterns cost ~0.2 ms
# each in every command, most of which reads no date, amount or phone number.
pattern = cache(re.compile)

# C0, DEL, C1, Unicode line breaks, and the bidi controls and marks that reorder what a reader sees (Trojan
# Source): refused in values, shown escaped in messages and tables.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")

# Letters (category Lo/So) that fonts draw as blank space: Hangul choseong/jungseong fillers, the Hangul
# filler and its half-width form, and the braille pattern blank.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format (zero-width, BOM, bidi), control, combining marks, and separators that str.isspace() misses.
_UNSEEN_CATEGORIES = frozenset(("Cf", "Cc", "Mn", "Me", "Zs", "Zl", "Zp"))


def seen(ch: str) -> bool:
    return not (ch.isspace() or ch in _BLANK_LETTERS or unicodedata.category(ch) in _UNSEEN_CATEGORIES)


def visible_length(text: str) -> int:
    """Characters a reader sees (L3): zero-width, blank and filler characters do not make a comment."""
    return sum(1 for ch in text if seen(ch))


def is_blank(value) -> bool:
    """No value: None, or text in which a reader sees nothing. Numbers, booleans and dates are values."""
    if value is None:
        return True
    return isinstance(value, str) and not any(seen(ch) for ch in value)


def unseen_ranges() -> list[tuple[int, int]]:
    """Every character a reader does not see, as (first, last) code point ranges: the definition above, for a
    store that checks blank values itself (the PostgreSQL store's triggers). Surrogates cannot occur in text."""
    ranges: list[tuple[int, int]] = []
    first = None
    for point in range(1, 0x110000):
        unseen = not (0xD800 <= point <= 0xDFFF) and not seen(chr(point))
        if unseen and first is None:
            first = point
        elif not unseen and first is not None:
            ranges.append((first, point - 1))
            first = None
    return ranges
