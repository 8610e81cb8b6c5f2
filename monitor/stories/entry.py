"""An alerting item as a story holds it: its quote, language, rules and what grouping
compares it by."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.item import Item, field_texts
from monitor.quote import quote_for
from monitor.rules.match import Match
from monitor.stories.story import StoryItem
from monitor.text.fingerprint import fingerprint
from monitor.text.names import event_marks


def story_entry(item: Item, alerts: Sequence[Match], now: float) -> StoryItem:
    """The story entry of an item that alerted on `alerts` (at least one); the loudest
    rule comes first, since a story it opens is that rule's."""
    ordered = sorted(alerts, key=lambda match: -match.severity.rank)
    texts = field_texts(item)
    return StoryItem(
        id=item.id,
        source=item.source,
        title=item.title,
        link=item.link,
        at=now,
        quote=quote_for(item, ordered[0]),
        lang=item.language,
        rules=[match.rule for match in ordered],
        vector=fingerprint(f"{texts.title}\n{texts.body or texts.lead}"),
        marks=event_marks(texts.title, texts.lead),
    )
