"""Consonant skeletons: one spelling-free string for a name in Arabic or Latin letters.

Transliteration varies in vowels, weak letters and digraphs (Sudani, al-Soudani,
السوداني), so a name is reduced to the consonants both scripts agree on.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

MIN_CONSONANTS = 3
"""Shortest skeleton worth a mark: two consonants match too many names by chance."""

_ARABIC = {
    "ب": "b", "پ": "b", "ت": "t", "ث": "t", "ط": "t", "ج": "j", "چ": "x", "خ": "k",
    "د": "d", "ض": "d", "ذ": "z", "ز": "z", "ظ": "z", "ژ": "z", "ر": "r", "س": "s",
    "ص": "s", "ش": "x", "غ": "k", "ق": "k", "ك": "k", "گ": "k", "ف": "f", "ڤ": "f",
    "ل": "l", "م": "m", "ن": "n",
}  # fmt: skip
"""Arabic consonants by sound class; ا و ي ء ع ح ه are weak or unwritten in Latin and dropped."""

_DIGRAPHS = {"kh": "k", "gh": "k", "sh": "x", "ch": "x", "th": "t", "dh": "z", "ph": "f", "zh": "z"}
_LATIN = {
    "b": "b", "p": "b", "t": "t", "j": "j", "k": "k", "q": "k", "c": "k", "g": "k",
    "d": "d", "z": "z", "r": "r", "s": "s", "f": "f", "l": "l", "m": "m", "n": "n",
}  # fmt: skip
"""Latin consonants by the class of the Arabic letter they stand for; vowels, h, w, y, v dropped."""

_LATIN_FOLD = str.maketrans({"ı": "i", "ş": "sh", "ç": "ch", "ğ": "g", "ß": "ss"})
_ARTICLES = ("ال",)
_LATIN_ARTICLES = ("al-", "el-", "al'", "el'")


def skeleton(word: str) -> str:
    """The consonant skeleton of one word in either script, without its article."""
    word = word.casefold()
    if word and "\u0621" <= word[0] <= "\u06ff":
        return _arabic(word)
    return _latin(word)


@functools.lru_cache(maxsize=50_000)
def _arabic(word: str) -> str:
    for article in _ARTICLES:
        if word.startswith(article) and len(word) > len(article) + 2:
            word = word[len(article) :]
    return _collapse(_ARABIC.get(letter, "") for letter in word)


@functools.lru_cache(maxsize=50_000)
def _latin(word: str) -> str:
    word = _ascii(word)
    for article in _LATIN_ARTICLES:
        if word.startswith(article):
            word = word[len(article) :]
    out: list[str] = []
    i = 0
    while i < len(word):
        pair = word[i : i + 2]
        if pair in _DIGRAPHS:
            out.append(_DIGRAPHS[pair])
            i += 2
            continue
        if word[i] == "c" and word[i + 1 : i + 2] in ("e", "i"):
            out.append("s")
        else:
            out.append(_LATIN.get(word[i], "") if word[i] != "x" else "ks")
        i += 1
    return _collapse(out)


def _ascii(word: str) -> str:
    """Lower-case Latin letters without accents (Erdoğan, Öcalan), apostrophes removed."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_LATIN_FOLD))
    return "".join(c for c in decomposed if c.isascii() and (c.isalpha() or c in "-'"))


def _collapse(symbols: Iterable[str]) -> str:
    """Join consonant classes, merging a class written twice in a row (Abbas, shadda-less
    عباس) but not one repeated across a dropped vowel (Sistani keeps both s)."""
    out: list[str] = []
    previous = None
    for symbol in symbols:
        if symbol and symbol != previous:
            out.append(symbol)
        previous = symbol
    return "".join(out)
