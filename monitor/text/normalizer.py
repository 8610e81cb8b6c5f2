"""One normalisation of Arabic and Latin text, applied alike to rules and to items.

Hamza on a carrier (ؤ ئ) folds to a bare hamza (ء): outlets differ on the
carrier (مسؤول / مسئول) far more often than two words differ by it alone.
"""

from __future__ import annotations

import unicodedata

_REMOVED = (
    [chr(c) for c in range(0x064B, 0x0660)]  # tashkeel, hamza above/below
    + ["\u0670"]  # superscript alef
    + [chr(c) for c in range(0x0610, 0x061B)]  # honorific and Quranic signs
    + [chr(c) for c in range(0x06D6, 0x06DD)]  # Quranic annotation
    + [chr(c) for c in range(0x06DF, 0x06E9)]
    + [chr(c) for c in range(0x06EA, 0x06EE)]
    + ["\u0640"]  # tatweel
    + [chr(c) for c in range(0x200B, 0x2010)]  # zero-width and directional marks
    + [chr(c) for c in range(0x202A, 0x202F)]  # bidi embeddings and overrides
    + [chr(c) for c in range(0x2066, 0x206A)]  # bidi isolates
    + ["\u061c", "\ufeff", "\u00ad"]  # Arabic letter mark, BOM, soft hyphen
)

_FOLDED = {
    "\u0623": "\u0627",  # أ → ا
    "\u0625": "\u0627",  # إ → ا
    "\u0622": "\u0627",  # آ → ا
    "\u0671": "\u0627",  # ٱ → ا
    "\u0649": "\u064a",  # ى → ي
    "\u0629": "\u0647",  # ة → ه
    "\u0624": "\u0621",  # ؤ → ء
    "\u0626": "\u0621",  # ئ → ء
    "\u06cc": "\u064a",  # Persian ی → ي
    "\u06a9": "\u0643",  # Persian ک → ك
    # Kurdish and Persian letters in names, written with the nearest Arabic letter as often
    # (چوارتا / جوارتا, شنگال / شنكال): one spelling for both
    "\u0686": "\u062c",  # چ → ج
    "\u06af": "\u0643",  # گ → ك
    "\u067e": "\u0628",  # پ → ب
    "\u06a4": "\u0641",  # ڤ → ف
    "\u0698": "\u0632",  # ژ → ز
    "\u06c1": "\u0647",  # ہ → ه
    "\u06d5": "\u0647",  # ە → ه
}
_FOLDED.update({chr(0x0660 + d): str(d) for d in range(10)})  # Arabic-Indic digits
_FOLDED.update({chr(0x06F0 + d): str(d) for d in range(10)})  # Persian digits

_TABLE = str.maketrans({**{c: None for c in _REMOVED}, **_FOLDED})

ARABIC_LETTERS = frozenset(chr(c) for c in range(0x0621, 0x064B))
"""Base Arabic letters as they stand after normalisation."""


def normalize(text: str) -> str:
    """Return `text` in the one form that rules and items are compared in."""
    return unicodedata.normalize("NFKC", text).translate(_TABLE).casefold()
