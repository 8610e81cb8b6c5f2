"""Where the words of a text are, found with numpy over its code points.

The same words as the tokenizer's WORD_RE, whose spans they are: a run of word
characters, and an apostrophe between two of them joins the runs. Telling it
for every character of a text at once costs a few array operations, where a
regex pass costs a step of Python's regex engine per character and a new
string per word.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from monitor.text.tokenizer import WORD_RE

Codes = npt.NDArray[np.uint32]
Positions = npt.NDArray[np.intp]

_APOSTROPHES = (ord("'"), ord("\u2019"))


def code_points(text: str) -> Codes:
    """The code points of `text`, one per character (str index = array index)."""
    # surrogatepass: a lone surrogate is a character of the str like any other.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)


_OTHER, _LETTER, _APOSTROPHE = 0, 1, 2


class Spans(NamedTuple):
    """Where the words of a text are: start and end (exclusive) of each, in order, and the
    position of every character that is part of a word."""

    starts: Positions
    ends: Positions
    inside: Positions


@cache
def _classes() -> npt.NDArray[np.uint8]:
    """Every code point: whether WORD_RE counts it a word character, or it is an apostrophe."""
    # WORD_RE's first character class, asked of every character in one pass.
    character = re.compile(WORD_RE.pattern[: WORD_RE.pattern.index("]") + 1] + "+")
    everything = "".join(map(chr, range(0x110000)))
    table = np.full(0x110000, _OTHER, np.uint8)
    for run in character.finditer(everything):
        table[run.start() : run.end()] = _LETTER
    table[list(_APOSTROPHES)] = _APOSTROPHE
    return table


def word_spans(codes: Codes) -> Spans:
    """Where the words of a text (its code points) are."""
    classes = _classes().take(codes.astype(np.intp))  # intp: no conversion inside take
    inside = np.zeros(len(codes) + 2, np.bool_)  # a character of no word at either end
    np.equal(classes, _LETTER, out=inside[1:-1])
    if len(codes) > 2 and classes.max() == _APOSTROPHE:
        between = classes[1:-1] == _APOSTROPHE
        between &= inside[1:-3] & inside[3:-1]
        inside[2:-2] |= between
    edges = (inside[1:] != inside[:-1]).nonzero()[0]
    return Spans(edges[0::2], edges[1::2], inside.nonzero()[0] - 1)
