"""Matches as text for a terminal, with the matched words highlighted."""

from __future__ import annotations

from collections.abc import Sequence

import click

from monitor.item import Item, field_texts
from monitor.rules.match import Hit, Match

CONTEXT = 40
"""Characters of context shown either side of a hit."""


def render_item(item: Item, matches: Sequence[Match]) -> str:
    """A heading for the item and one block per matching rule."""
    heading = click.style(item.id, bold=True) + f"  {item.title[:100]}"
    if not matches:
        return heading + "\n  no rule matched"
    texts = field_texts(item)
    sources = {
        "title": texts.title,
        "lead": texts.body if texts.lead_in_body else texts.lead,
        "body": texts.body,
    }
    lines = [heading]
    for found in matches:
        state = click.style("ALERT", fg="red", bold=True) if found.alert else "mention"
        lines.append(f"  {found.rule}: {state} ({found.severity.value}, score {found.score:g})")
        lines += [
            f"    {hit.field.value:5} {_quote(sources[hit.field.value], hit)}"
            for hit in found.hits[:12]
        ]
        if len(found.hits) > 12:
            lines.append(f"    ... {len(found.hits) - 12} more hits")
    return "\n".join(lines)


def _quote(text: str, hit: Hit) -> str:
    before = text[max(0, hit.start - CONTEXT) : hit.start].replace("\n", " ")
    after = text[hit.end : hit.end + CONTEXT].replace("\n", " ")
    marked = click.style(text[hit.start : hit.end], fg="yellow", bold=True, underline=True)
    return f"…{before}{marked}{after}…"
