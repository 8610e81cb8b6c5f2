"""Words of a text with their character spans in the original text.

A word is a run of Unicode word characters; Arabic marks, tatweel and
zero-width joiners inside a word do not split it, and a Latin apostrophe
keeps "Iraq's" whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640\u200c\u200d"
WORD_RE = re.compile(rf"[\w{_MARKS}]+(?:['\u2019][\w{_MARKS}]+)*")
"""One word of original text."""


def iter_words(text: str) -> Iterator[re.Match[str]]:
    """Yield a regex match for each word of `text`, in order."""
    return WORD_RE.finditer(text)


def words(text: str) -> list[str]:
    """The words of `text` as written."""
    return WORD_RE.findall(text)
