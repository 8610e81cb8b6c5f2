"""Whether a story notifies now: a pure function of the story, the rule's policy, the
last notification, the silences and the time, returning a named reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from monitor.rules.model import PolicySpec
from monitor.silence import Silence
from monitor.stories.story import Story


class Reason(StrEnum):
    """Why a decision came out as it did."""

    NEW_STORY = "new_story"
    UPDATE = "update"
    WAITING = "waiting"
    NOT_CORROBORATED = "not_corroborated"
    SILENCED = "silenced"
    NOTHING_NEW = "nothing_new"
    UPDATES_QUIET = "updates_quiet"
    COOLDOWN = "cooldown"


class LastNotification(BaseModel):
    """What the last notification of a story covered, and when it went."""

    update: int
    at: float
    items: int


@dataclass(frozen=True)
class Decision:
    """Notify or not, why, and when to decide again (None: when the story changes)."""

    notify: bool
    reason: Reason
    again_at: float | None = None

    @property
    def update(self) -> bool:
        return self.reason is Reason.UPDATE


def decide(
    story: Story,
    policy: PolicySpec,
    last: LastNotification | None,
    silences: Sequence[Silence],
    now: float,
    *,
    waited: bool = False,
) -> Decision:
    """The decision for `story` at `now`; `waited` treats the group wait as over."""
    if silences and _silenced(story, silences, now):
        return Decision(False, Reason.SILENCED)
    if last is None:
        return _first(story, policy, now, waited)
    return _update(story, policy, last, now)


def _silenced(story: Story, silences: Sequence[Silence], now: float) -> bool:
    """Whether a silence covers the story: its texts are gathered only when there are
    silences to ask, since a story is decided again with every item that joins it."""
    texts = [item.title for item in story.items] + [item.quote.text for item in story.items]
    sources = story.sources
    return any(silence.covers(story.rule, story.id, sources, texts, now) for silence in silences)


def _first(story: Story, policy: PolicySpec, now: float, waited: bool) -> Decision:
    if corroborating_sources(story, policy) < policy.min_sources:
        return Decision(False, Reason.NOT_CORROBORATED)
    ready_at = story.created + policy.group_wait
    if now < ready_at and not waited:
        return Decision(False, Reason.WAITING, ready_at)
    return Decision(True, Reason.NEW_STORY)


def _update(story: Story, policy: PolicySpec, last: LastNotification, now: float) -> Decision:
    if len(story.items) <= last.items:
        return Decision(False, Reason.NOTHING_NEW)
    if policy.repeat_after is None:
        return Decision(False, Reason.UPDATES_QUIET)
    due = last.at + policy.repeat_after
    if now < due:
        return Decision(False, Reason.COOLDOWN, due)
    return Decision(True, Reason.UPDATE)


def corroborating_sources(story: Story, policy: PolicySpec) -> int:
    """The most distinct sources that reported the story within one corroboration window.
    A window slides once over the items in time order: a story that waits for
    corroboration is decided again with every item that joins it, and comparing each of
    its items with every later one grew with the square of their number."""
    items = sorted(story.items, key=lambda item: item.at)
    sources = [item.source or item.id for item in items]
    inside: Counter[str] = Counter()
    best = end = 0
    for start, first in enumerate(items):
        while end < len(items) and items[end].at - first.at <= policy.corroboration_window:
            inside[sources[end]] += 1
            end += 1
        best = max(best, len(inside))
        _leave(inside, sources[start])
    return best


def _leave(inside: Counter[str], source: str) -> None:
    inside[source] -= 1
    if not inside[source]:
        del inside[source]
