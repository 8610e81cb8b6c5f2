"""Where sentences and paragraphs end in news text, Arabic and English.

A full stop after an abbreviation ("U.S.", "Gen.", "Jan.") or before a small letter or a
digit ends nothing; the Arabic comma and semicolon (، ؛) join clauses of one sentence, as
they do in Arabic news, where a sentence often runs a paragraph long.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

# A newline, or terminal marks and closing quotes before a space or the end. Written to
# begin with one character class (a newline is taken at once by the look-behind), which
# the regex engine scans for without trying each alternative at every character.
_END = re.compile(
    r"[.!?\u061f\u06d4\u2026\n]"
    r"(?:(?<=\n)|[.!?\u061f\u06d4\u2026]*[\"'\u00bb\u201d\u2019)\]]*(?=\s|$))"
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.?$")
_LATIN_LETTERS = frozenset(string.ascii_letters)
_ABBREVIATIONS_TEXT = """mr mrs ms dr gen lt col maj capt cpt sgt adm brig cmdr rep sen gov
prof st jr sr inc ltd co corp no nos vs etc approx jan feb mar apr jun jul aug sep sept oct
nov dec mt ft dept govt est"""
_ABBREVIATIONS = frozenset(_ABBREVIATIONS_TEXT.split())


def sentence_ends(text: str) -> list[int]:
    """The position just after each sentence's end, in order; the text's end is the last."""
    return list(iter_sentence_ends(text))


def iter_sentence_ends(text: str) -> Iterator[int]:
    """`sentence_ends`, one at a time, for a reader that stops early."""
    last = 0
    for match in _END.finditer(text):
        if _ends_sentence(text, match):
            last = match.end()
            yield last
    if not last or last < len(text.rstrip()):
        yield len(text)


def _ends_sentence(text: str, match: re.Match[str]) -> bool:
    start, end = match.span()
    if text[start] != ".":  # a newline or another mark
        return True
    before = _word_before(text, start)
    if before and _abbreviated(text, before):
        return False
    following = text[end : end + 3].lstrip()
    return not following or not (following[0].islower() or following[0].isdigit())


def _word_before(text: str, end: int) -> re.Match[str] | None:
    """The Latin word that ends at `end`, perhaps with a full stop after it; looked for only
    when one of the two characters before is a Latin letter (in Arabic text, hardly ever)."""
    if _LATIN_LETTERS.isdisjoint(text[max(0, end - 2) : end]):
        return None
    return _WORD_BEFORE.search(text, max(0, end - 12), end)


def _abbreviated(text: str, before: re.Match[str]) -> bool:
    """Whether the word before a full stop is an abbreviation: a single letter (U.S., U.N.)
    or a known short form."""
    word = before.group(1)
    return len(word) == 1 or word.lower() in _ABBREVIATIONS
