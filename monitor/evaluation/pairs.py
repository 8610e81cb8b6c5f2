"""Story grouping scored by pairs: two alerting items in one story should report one event,
and two reports of one event should share a story, within a language and across."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
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

Grouped = dict[str, list[str]]
"""Item ids by the label they share: an event's by story, or a story's by event."""


@dataclass
class PairScores:
    """Pair counts of the items that alerted and carry an event label, and where the
    grouping went wrong: events split over stories, stories holding several events."""

    within: Counts = field(default_factory=Counts)
    across: Counts = field(default_factory=Counts)
    stories: int = 0
    events: int = 0
    split: dict[str, Grouped] = field(default_factory=dict)
    """Event -> its items by story, for each event whose reports landed in several."""
    merged: dict[str, Grouped] = field(default_factory=dict)
    """Story -> its items by event, for each story that holds several events."""

    def to_json(self) -> dict[str, Any]:
        return {
            "stories": self.stories,
            "events": self.events,
            "within_language": self.within.to_json(),
            "across_languages": self.across.to_json(),
            "split": [
                {"event": event, "stories": list(by.values())} for event, by in self.split.items()
            ],
            "merged": [{"events": by} for by in self.merged.values()],
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
    scores.split = _several(shown, _event, lambda entry: placed[entry.item.id])
    scores.merged = _several(shown, lambda entry: placed[entry.item.id], _event)
    return scores


def _event(entry: LabelledItem) -> str:
    return entry.event or ""  # the items shown all carry one


def _several(
    shown: Sequence[LabelledItem],
    outer: Callable[[LabelledItem], str],
    inner: Callable[[LabelledItem], str],
) -> dict[str, Grouped]:
    """The items grouped by `outer` then `inner`, keeping only the outer groups that the
    inner label splits in two or more."""
    grouped: dict[str, Grouped] = defaultdict(lambda: defaultdict(list))
    for entry in shown:
        grouped[outer(entry)][inner(entry)].append(entry.item.id)
    return {key: dict(by) for key, by in grouped.items() if len(by) > 1}
