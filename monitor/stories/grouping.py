"""Which story an item joins: its likeness to the items of each open story, within a
language by the words they share, across languages by the names, places and numbers.

The two measures live on different scales, so each is divided by its own bar from the
rule's policy: a likeness of 1.0 or more, on either, is enough to join.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from monitor.keyspace import digest
from monitor.rules.model import PolicySpec
from monitor.stories.item_index import ItemIndex, Nearness
from monitor.stories.story import Story, StoryItem
from monitor.text.names import clashing, linked

PolicyOf = Callable[[str], PolicySpec]
"""The policy of a rule by its id."""


def item_likeness(
    entry: StoryItem, other: StoryItem, policy: PolicySpec, by_words: bool = True
) -> float:
    """How alike two items are, 1.0 being the policy's bar for one story; without
    `by_words`, when the words they share are known to fall short of the bar, by their
    names alone: the same from 1.0 up, and at most the likeness below it."""
    one, two = entry.compared, other.compared
    link = 0.0
    if (
        policy.link_window
        and abs(entry.at - other.at) <= policy.link_window
        and one.shares_marks(two)
    ):
        link = linked(one.marks, two.marks) / policy.link_similarity
    if not by_words or (entry.lang and other.lang and entry.lang != other.lang):
        return link
    worded = one.similarity(two) * clashing(one.marks, two.marks)
    return max(worded / policy.similarity, link)


def story_likeness(
    story: Story,
    entry: StoryItem,
    policy: PolicySpec,
    near: Nearness | None = None,
    floor: float = 1.0,
) -> float:
    """How like a story an item is: its likeness to the story's closest item. When `near`
    tells which items it may be alike enough to join, only those are compared, only by
    what may lift them to the bar, and the likeliest first, until none left can come
    closer or reach `floor`: the same from `floor` and 1.0 up, and at most the likeness
    below: the items of a story of one event, alike, are not all compared in full."""
    if near is None:
        return max((item_likeness(entry, item, policy) for item in story.items), default=0.0)
    likeness = 0.0
    for most, item, by_words in near.items_to_compare(story, policy):
        if most <= likeness or most < floor:
            break
        likeness = max(likeness, item_likeness(entry, item, policy, by_words))
    return likeness


def choose_story(
    stories: Iterable[Story],
    entry: StoryItem,
    policy_of: PolicyOf,
    now: float,
    index: ItemIndex | None = None,
) -> Story | None:
    """The open story the item belongs to, or None when it starts one; with the `index`
    of the stories' items, only the items near enough are compared."""
    best, best_likeness = None, 1.0
    policies = [(story, policy_of(story.rule)) for story in stories]
    open_now = [
        (story, policy) for story, policy in policies if story.updated >= now - policy.story_window
    ]
    least = min((policy.similarity for _, policy in open_now), default=0.0)
    asked = {story.id for story, _ in open_now}
    near = index.nearness(entry, least, asked) if index is not None and open_now else None
    for story, policy in open_now:
        if near is not None and not near.may_join(story, policy):
            continue
        likeness = story_likeness(story, entry, policy, near, best_likeness)
        if likeness >= best_likeness:
            best, best_likeness = story, likeness
    return best


def join(story: Story, entry: StoryItem, now: float) -> None:
    """Add an item to a story, with the rules it alerted on."""
    story.items.append(entry)
    story.rules = list(dict.fromkeys([*story.rules, *entry.rules]))
    story.updated = max(story.updated, now)


def place(
    stories: list[Story],
    entry: StoryItem,
    policy_of: PolicyOf,
    now: float,
    index: ItemIndex | None = None,
) -> tuple[Story, bool]:
    """The story `entry` belongs in among the open `stories`, joined or new, and whether
    anything changed (not when the story already holds the item)."""
    for story in stories:
        if story.holds(entry.id):
            return story, False
    return join_or_start(stories, entry, policy_of, now, index), True


def join_or_start(
    stories: list[Story],
    entry: StoryItem,
    policy_of: PolicyOf,
    now: float,
    index: ItemIndex | None = None,
) -> Story:
    """The open story `entry` joins, or the one it starts, none of them holding it yet."""
    story = choose_story(stories, entry, policy_of, now, index) or _new_story(entry, now)
    join(story, entry, now)
    return story


def _new_story(entry: StoryItem, now: float) -> Story:
    opener = entry.rules[0]
    return Story(id=digest(f"{opener}\n{entry.id}"), rule=opener, created=now, updated=now)
