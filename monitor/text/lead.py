"""The lead of a body: its opening sentences, by a budget of words and paragraphs.

Counting whole sentences keeps "U.S." or a long Arabic sentence from cutting the lead
before its key word; the paragraph limit keeps the asides of the third paragraph of a
short-paragraphed wire story out of it.
"""

from __future__ import annotations

import re

from monitor.text.sentences import sentence_ends

LEAD_WORDS = 35
"""A lead takes whole sentences until it holds this many words..."""

LEAD_MAX_WORDS = 90
"""... and no sentence that would take it past this many."""

FIRST_SENTENCE_WORDS = 120
"""A first sentence longer than this (a paragraph without a full stop) is cut at a word."""

LEAD_PARAGRAPHS = 2
"""A lead never runs past the second paragraph of at least PARAGRAPH_WORDS words."""

PARAGRAPH_WORDS = 6
"""Fewer words than this make a line (a dateline, a byline, "Sputnik"), not a paragraph."""

_WORD = re.compile(r"\w+")
_LETTERS = re.compile(r"[^\W\d_]+")


def opening_length(text: str) -> int:
    """How many characters of `text` its lead takes."""
    taken, words, paragraphs, start = 0, 0, 0, 0
    for end in sentence_ends(text):
        sentence = text[start:end]
        count = len(_WORD.findall(sentence))
        paragraphs += _paragraph_begun(text, taken, start, sentence)
        if taken and (paragraphs > LEAD_PARAGRAPHS or words + count > LEAD_MAX_WORDS):
            break
        if not taken and count > FIRST_SENTENCE_WORDS:
            return _cut_at_word(text, start, FIRST_SENTENCE_WORDS)
        taken, words, start = end, words + count, end
        if words >= LEAD_WORDS:
            break
    return taken


def _paragraph_begun(text: str, taken: int, start: int, sentence: str) -> int:
    """1 when the sentence at `start` opens a paragraph of some words (not a dateline of
    numbers), else 0."""
    opens = not taken or "\n" in text[max(0, start - 1) : start + 1]
    return int(opens and len(_LETTERS.findall(sentence)) >= PARAGRAPH_WORDS)


def _cut_at_word(text: str, start: int, words: int) -> int:
    matches = list(_WORD.finditer(text, start))
    return matches[words - 1].end() if len(matches) >= words else len(text)
