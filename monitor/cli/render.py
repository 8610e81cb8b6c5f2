"""Matches as text to read: a block per item, each rule once with its hits marked in snippets.

Hits close together share one snippet; a snippet is cut between words. On a terminal
the hits are styled; elsewhere they are marked «so», which survives a pipe.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import click

from monitor.item import Item, ItemField, field_texts
from monitor.rules.match import Hit, Match

CONTEXT = 30
"""Characters of context shown either side of the hits of a snippet."""

WIDEST = 120
"""Characters from a snippet's first hit to its last, beyond which a new snippet starts."""

SNIPPETS = 3
"""Snippets shown for a rule; the hits of the others are counted."""

WORD_REACH = 20
"""Characters a snippet's edge moves to fall between words; a longer word is cut."""

_SPACES = re.compile(r"\s+")

Span = tuple[int, int]
Mark = Callable[[str], str]


@dataclass(frozen=True)
class Snippet:
    """The part `start:end` of a field's text, and the hits in it as spans of that text."""

    field: ItemField
    text: str
    start: int
    end: int
    hits: tuple[Span, ...]


def render_item(
    item: Item, matches: Sequence[Match], *, show_all: bool = False, styled: bool = False
) -> str:
    """A heading for the item, then its alerts and (with `show_all`) its mentions."""
    heading = (click.style(item.id, bold=True) if styled else item.id) + f"  {_short(item.title)}"
    if not matches:
        return heading + "\n  no rule matched"
    ordered = sorted(matches, key=lambda found: (not found.alert, -found.score))
    shown = ordered if show_all else [found for found in ordered if found.alert]
    lines = [heading]
    for found in shown:
        lines += render_match(item, found, styled)
    folded = [] if show_all else [found.rule for found in ordered if not found.alert]
    if folded:
        lines.append(f"  +{_count(len(folded), 'mention')} (--all to show): {', '.join(folded)}")
    return "\n".join(lines)


def render_match(item: Item, found: Match, styled: bool) -> list[str]:
    """A rule's line, then its snippets, one a line."""
    state = click.style("ALERT", fg="red", bold=True) if styled else "ALERT"
    lines = [
        f"  {found.rule}: {state if found.alert else 'mention'} "
        f"({found.severity.value}, score {found.score:g})"
    ]
    found_snippets = snippets(item, found.hits)
    mark = _styled if styled else _bracketed
    lines += [
        f"    {piece.field.value:6} {quote(piece, mark)}" for piece in found_snippets[:SNIPPETS]
    ]
    rest = sum(len(piece.hits) for piece in found_snippets[SNIPPETS:])
    if rest:
        lines.append(f"    +{_count(rest, 'more hit')}")
    return lines


def snippets(item: Item, hits: Iterable[Hit]) -> list[Snippet]:
    """The hits of a rule as snippets, title first, then in the order of the text."""
    texts = field_texts(item)
    # A lead taken from the body has its hits' offsets counted in the body.
    lead = ItemField.BODY if texts.lead_in_body else ItemField.LEAD
    home = {ItemField.TITLE: ItemField.TITLE, ItemField.LEAD: lead, ItemField.BODY: ItemField.BODY}
    sources = {ItemField.TITLE: texts.title, ItemField.LEAD: texts.lead, ItemField.BODY: texts.body}
    ordered = sorted(hits, key=lambda hit: (hit.start, hit.field is not ItemField.LEAD))
    found = []
    for source, text in sources.items():
        in_source = [hit for hit in ordered if home[hit.field] is source]
        found += _snippets_of(text, in_source) if in_source else []
    return found


def _snippets_of(text: str, hits: list[Hit]) -> list[Snippet]:
    groups = _groups(_merged(text, [(hit.start, hit.end) for hit in hits]))
    edges = [0] + [(a[-1][1] + b[0][0]) // 2 for a, b in pairwise(groups)] + [len(text)]
    return [
        Snippet(
            next(hit.field for hit in hits if hit.start >= group[0][0]),
            text,
            _word_start(text, max(group[0][0] - CONTEXT, edges[n]), group[0][0]),
            _word_end(text, min(group[-1][1] + CONTEXT, edges[n + 1]), group[-1][1]),
            tuple(group),
        )
        for n, group in enumerate(groups)
    ]


def _merged(text: str, spans: list[Span]) -> list[Span]:
    """Sorted spans with those that overlap or one space apart joined: one mark a phrase."""
    joined: list[Span] = []
    for start, end in sorted(spans):
        if joined and text[joined[-1][1] : start] in ("", " "):
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def _groups(spans: list[Span]) -> list[list[Span]]:
    """Spans whose contexts would overlap, in groups no wider than WIDEST."""
    groups: list[list[Span]] = []
    for span in spans:
        last = groups[-1] if groups else None
        if last and span[0] - last[-1][1] <= 2 * CONTEXT and span[1] - last[0][0] <= WIDEST:
            last.append(span)
        else:
            groups.append([span])
    return groups


def _word_start(text: str, at: int, limit: int) -> int:
    """`at`, or the first start of a word after it, not past `limit` and not far."""
    if at <= 0:
        return 0
    for step in range(at, min(limit, at + WORD_REACH) + 1):
        if text[step - 1].isspace():
            return step
    return at


def _word_end(text: str, at: int, limit: int) -> int:
    """`at`, or the last end of a word before it, not before `limit` and not far."""
    if at >= len(text):
        return len(text)
    for step in range(at, max(limit, at - WORD_REACH) - 1, -1):
        if text[step].isspace():
            return step
    return at


def quote(piece: Snippet, mark: Mark) -> str:
    """The snippet on one line, its hits marked, `…` where the text goes on."""
    text, parts, at = piece.text, [], piece.start
    for start, end in piece.hits:
        parts += [_flat(text[at:start]), mark(_flat(text[start:end]))]
        at = end
    parts.append(_flat(text[at : piece.end]))
    before = "…" if piece.start > 0 else ""
    after = "…" if piece.end < len(text) else ""
    return before + "".join(parts).strip() + after


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text)


def _bracketed(word: str) -> str:
    return f"«{word}»"


def _styled(word: str) -> str:
    return click.style(word, fg="yellow", bold=True, underline=True)


def _short(title: str, most: int = 100) -> str:
    return title if len(title) <= most else _flat(title[: _word_end(title, most, most // 2)]) + "…"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@dataclass
class Tally:
    """What the items shown came to, for the last line."""

    items: int = 0
    alerted: int = 0
    rules: Counter[str] = field(default_factory=Counter)

    def add(self, matches: Sequence[Match]) -> None:
        alerts = [found.rule for found in matches if found.alert]
        self.items += 1
        self.alerted += bool(alerts)
        self.rules.update(alerts)

    def summary(self, errors: int) -> str:
        """`5 items: 5 alerted (us-iraq-talks 5), 0 errors`."""
        ranked = sorted(self.rules.items(), key=lambda pair: (-pair[1], pair[0]))
        rules = ", ".join(f"{rule} {count}" for rule, count in ranked)
        alerted = f"{self.alerted} alerted" + (f" ({rules})" if rules else "")
        return f"{_count(self.items, 'item')}: {alerted}, {_count(errors, 'error')}"
