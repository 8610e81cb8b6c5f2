"""The lead of a body: its opening sentences, by a budget of words and paragraphs.

Counting whole sentences keeps "U.S." or a long Arabic sentence from cutting the lead
before its key word; the paragraph limit keeps the asides of the third paragraph of a
short-paragraphed wire story out of it.
"""

from __future__ import annotations

import re
from itertools import islice

from monitor.text.sentences import iter_sentence_ends

LEAD_WORDS = 35
"""A lead takes whole sentences until it holds this many words, and the rest of the first
paragraph when it ends there and the body is set in paragraphs (a reader's lead: "... on
Saturday. The Islamic Resistance in Iraq claimed the attack.")..."""

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

_OTHER_STORIES = re.compile(
    r"^[ \t]*(?:أخبار ذات صلة|مواضيع ذات صلة|مقالات ذات صلة|اقرأ أيضا|اقرأ أيضاً|اقرأ المزيد"
    r"|related|related stories|related articles|related news|read more|read also|see also"
    r"|more on this(?: story)?)[ \t:.…]*$"
    r"|^[ \t]*(?:tags|topics|الوسوم|وسوم|كلمات مفتاحية)[ \t]*:",
    re.IGNORECASE | re.MULTILINE,
)
"""A line that heads the site's list of other stories, or its tags: what follows is their
headlines or its index words, not this item's lead (a feed that gives no text of its own
gives that list as the body)."""

HEADER_CHARS = 100
"""Characters past the lead a heading's line may run on to: none of them is longer."""


def opening_length(text: str) -> int:
    """How many characters of `text` its lead takes, never past a list of other stories.
    The list is looked for only in the lines the lead takes: searched through a whole
    article, it cost two thirds of working out the lead."""
    length = _opening_length(text)
    line_end = text.find("\n", length, length + HEADER_CHARS)
    other_stories = _other_stories(text, length + HEADER_CHARS if line_end < 0 else line_end)
    if other_stories is None or other_stories.start() >= length:
        return length
    return _opening_length(text[: other_stories.start()].rstrip())


def _other_stories(text: str, end: int) -> re.Match[str] | None:
    """`_OTHER_STORIES.search(text, 0, end)`, tried only where a line begins, as every
    match does: searched for, the pattern was tried at every character."""
    start = 0
    while start < end:
        found = _OTHER_STORIES.match(text, start, end)
        if found is not None:
            return found
        start = text.find("\n", start, end) + 1
        if not start:
            return None
    return None


def _opening_length(text: str) -> int:
    taken, words, paragraphs, start = 0, 0, 0, 0
    for end in iter_sentence_ends(text):
        sentence = text[start:end]
        count = word_count(sentence)
        paragraphs += _paragraph_begun(text, taken, start, sentence, count)
        if taken and (paragraphs > LEAD_PARAGRAPHS or words + count > LEAD_MAX_WORDS):
            break
        if not taken and count > FIRST_SENTENCE_WORDS:
            return _cut_at_word(text, start, FIRST_SENTENCE_WORDS)
        taken, words, start = end, words + count, end
        if words >= LEAD_WORDS and (paragraphs > 1 or _paragraph_ends(text, taken)):
            break
    return taken


def _paragraph_ends(text: str, at: int) -> bool:
    """Whether a paragraph ends at `at`: a line break follows, or none comes further on (a
    body not set in paragraphs keeps the lead of its opening sentences alone)."""
    newline = text.find("\n", at)
    return newline < 0 or not text[at:newline].strip()


def word_count(text: str) -> int:
    """len(text.split()), without making a string of each word: a sentence whose only
    blank is the space (isprintable: every other blank is unprintable) counts its spaces.
    Half again as quick on a lead, worked out for every item matched."""
    if not text.isprintable():
        return len(text.split())
    inner = text.strip(" ")
    if "  " in inner:
        return len(inner.split())
    return inner.count(" ") + 1 if inner else 0


def _paragraph_begun(text: str, taken: int, start: int, sentence: str, count: int) -> int:
    """1 when the sentence at `start` opens a paragraph of some words (not a dateline of
    numbers), else 0."""
    if count < PARAGRAPH_WORDS or (taken and "\n" not in text[max(0, start - 1) : start + 1]):
        return 0
    return int(count >= 2 * PARAGRAPH_WORDS or len(_LETTERS.findall(sentence)) >= PARAGRAPH_WORDS)


def _cut_at_word(text: str, start: int, words: int) -> int:
    ends = [word.end() for word in islice(_WORD.finditer(text, start), words)]
    return ends[-1] if len(ends) == words else len(text)
