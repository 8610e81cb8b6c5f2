"""The passage of an item that a notification quotes, with the matched words marked."""

from __future__ import annotations

from monitor.item import Item, ItemField, field_texts
from monitor.notification import Quote
from monitor.rules.match import Match

BEFORE = 120
"""Characters of context kept before the first hit."""

AFTER = 280
"""Characters of context kept after the first hit."""


def quote_for(item: Item, match: Match) -> Quote:
    """A window of the lead or body around the rule's first hit there, else the title."""
    texts = field_texts(item)
    in_text = [hit for hit in match.hits if hit.field is not ItemField.TITLE]
    if not in_text:
        spans = [(hit.start, hit.end) for hit in match.hits]
        return Quote(text=texts.title, highlights=spans)
    field = in_text[0].field
    text = texts.lead if field is ItemField.LEAD and not texts.lead_in_body else texts.body
    same = [hit for hit in in_text if (hit.field is field) or texts.lead_in_body]
    start = _word_start(text, max(0, same[0].start - BEFORE))
    end = _word_end(text, min(len(text), same[0].end + AFTER))
    spans = [(h.start - start, h.end - start) for h in same if h.start >= start and h.end <= end]
    return Quote(text=text[start:end], highlights=spans)


def _word_start(text: str, at: int) -> int:
    if at == 0:
        return 0
    space = text.find(" ", at)
    return space + 1 if 0 <= space < at + 30 else at


def _word_end(text: str, at: int) -> int:
    if at >= len(text):
        return len(text)
    space = text.rfind(" ", at - 30, at)
    return space if space > 0 else at
