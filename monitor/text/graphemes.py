"""Where a text can be cut without splitting what a reader sees as one character:
not inside a combining sequence, a ZWJ emoji sequence or a flag."""

from __future__ import annotations

import unicodedata

_ZWJ = "\u200d"


def cut(text: str, n: int, start: int = 0) -> int:
    """Where to end text[start:] so it keeps at most n characters: at a grapheme boundary,
    at a space if one is near."""
    while n > start and not breakable(text, n):
        n -= 1
    space = text.rfind(" ", max(start, n - 24), n)
    return space if space > start else n


def breakable(text: str, i: int) -> bool:
    """Whether text can be cut before i without splitting what a reader sees as one character."""
    if i <= 0 or i >= len(text):
        return True
    before, after = text[i - 1], text[i]
    if _ZWJ in (before, after) or _extends(after):
        return False
    return not (_regional(before) and _regional(after) and _regional_run(text, i) % 2 == 1)


def _extends(ch: str) -> bool:
    """Combining marks, variation selectors, skin tones and emoji tags attach to what precedes."""
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _regional_run(text: str, i: int) -> int:
    """How many regional indicators (flag halves) end just before i."""
    n = 0
    while i - n > 0 and _regional(text[i - n - 1]):
        n += 1
    return n
