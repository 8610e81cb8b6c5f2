"""Story grouping scored by pairs: two alerting items in one story should report one event,
and two reports of one event should share a story, within a language and across."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from monitor.evaluation.labels import LabelledItem
from monitor.evaluation.scores import Counts
from monitor.rules.match import Match
from monitor.stories.entry import story_entry
from monitor.stories.grouping import PolicyOf, place
from monitor.stories.item_index import ItemIndex
from monitor.stories.story import Story


@dataclass
class PairScores:
    """Pair counts of the items that alerted and carry an event label."""

    within: Counts = field(default_factory=Counts)
    across: Counts = field(default_factory=Counts)
    stories: int = 0
    events: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "stories": self.stories,
            "events": self.events,
            "within_language": self.within.to_json(),
            "across_languages": self.across.to_json(),
        }


def group_alerts(
    labelled: Sequence[LabelledItem], found: Sequence[list[Match]], policy_of: PolicyOf
) -> dict[str, str]:
    """The story each alerting item lands in, placing them in published order as the
    workers do (item id -> story id)."""
    stories: dict[str, Story] = {}
    index = ItemIndex()
    placed: dict[str, str] = {}
    timed = sorted(zip(labelled, found, strict=True), key=lambda pair: _published(pair[0]))
    for entry, matches in timed:
        alerts = [match for match in matches if match.alert]
        if not alerts:
            continue
        at = _published(entry)
        story_item = story_entry(entry.item, alerts, at)
        rules = set(story_item.rules)
        open_stories = [s for s in stories.values() if rules.intersection(s.every_rule)]
        story, _ = place(open_stories, story_item, policy_of, at, index)
        stories[story.id] = story
        index.keep(story)
        placed[entry.item.id] = story.id
    return placed


def _published(entry: LabelledItem) -> float:
    published = entry.item.published
    return published.timestamp() if published else 0.0


def score_pairs(labelled: Sequence[LabelledItem], placed: dict[str, str]) -> PairScores:
    """Pairs of alerting, event-labelled items: same story against same event."""
    shown = [entry for entry in labelled if entry.event and entry.item.id in placed]
    scores = PairScores(
        stories=len({placed[entry.item.id] for entry in shown}),
        events=len({entry.event for entry in shown}),
    )
    for one, other in combinations(shown, 2):
        same_story = placed[one.item.id] == placed[other.item.id]
        same_event = one.event == other.event
        counts = scores.within if one.item.language == other.item.language else scores.across
        counts.tp += same_story and same_event
        counts.fp += same_story and not same_event
        counts.fn += same_event and not same_story
    return scores
