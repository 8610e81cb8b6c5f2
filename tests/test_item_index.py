"""The index of open stories' items: placing through it lands every item where comparing
it with every item of every story would, and it follows stories as they change."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from monitor.inputs import read_path
from monitor.item import Item
from monitor.notification import Quote
from monitor.rules.model import PolicySpec
from monitor.stories import grouping, item_index
from monitor.stories.grouping import item_likeness, place
from monitor.stories.item_index import BOUND_MARGIN, ItemIndex, Nearness
from monitor.stories.story import Story, StoryItem
from monitor.text.fingerprint import fingerprint
from monitor.text.names import event_marks

EVAL = Path(__file__).parent / "data" / "eval"
T0 = 1_706_000_000.0


def _entries() -> list[StoryItem]:
    """The evaluation set's reports, Arabic and English, as entries of one rule an hour
    apart: many open stories, alike within and across languages."""
    items: list[Item] = [item for path in sorted(EVAL.glob("*.jsonl")) for item in read_path(path)]
    return [
        StoryItem(
            id=item.id,
            source=item.source,
            title=item.title,
            at=T0 + 3600 * n,
            quote=Quote(text=item.title[:50]),
            lang=item.language,
            rules=["r"],
            vector=fingerprint(f"{item.title}\n{item.summary or item.content}"),
            marks=event_marks(item.title, item.summary or item.content),
        )
        for n, item in enumerate(items)
    ]


def _group(entries: list[StoryItem], spec: PolicySpec, index: ItemIndex | None) -> list[str]:
    stories: dict[str, Story] = {}
    placed = []
    for entry in entries:
        story, _ = place(list(stories.values()), entry, lambda rule: spec, entry.at, index)
        stories[story.id] = story
        if index is not None:
            index.keep(story)
        placed.append(story.id)
    return placed


@pytest.mark.parametrize(
    "spec",
    [
        PolicySpec(),
        PolicySpec(similarity=0.2, link_similarity=0.15),
        PolicySpec(similarity=0.6, link_window=0),
    ],
    ids=["shipped", "loose", "words-only"],
)
def test_placing_through_the_index_lands_every_item_where_comparing_all_would(
    spec: PolicySpec,
) -> None:
    entries = _entries()
    everything = _group([entry.model_copy() for entry in entries], spec, None)
    indexed = _group([entry.model_copy() for entry in entries], spec, ItemIndex())
    assert indexed == everything
    assert len(set(everything)) < len(entries)  # some stories of several items


def _group_by_rules(
    entries: list[StoryItem], policies: dict[str, PolicySpec], index: ItemIndex | None
) -> list[str]:
    """Placed as a book places them: among the open stories of the entry's rules."""
    stories: dict[str, Story] = {}
    placed = []
    for entry in entries:
        rules = set(entry.rules)
        open_ = [stories[i] for i in sorted(stories) if rules & set(stories[i].every_rule)]
        story, _ = place(open_, entry, policies.__getitem__, entry.at, index)
        stories[story.id] = story
        if index is not None:
            index.keep(story)
        placed.append(story.id)
    return placed


def test_placing_items_of_several_rules_through_the_index_lands_them_as_comparing_all_would() -> (
    None
):
    """Each entry alerts on one to three of four rules with different bars, so that stories
    hold items of several rules and are reached through rules that did not open them."""
    rng = random.Random(7)
    names = ["strict", "loose", "plain", "words"]
    policies = {
        "strict": PolicySpec(similarity=0.6),
        "loose": PolicySpec(similarity=0.2, link_similarity=0.15),
        "plain": PolicySpec(),
        "words": PolicySpec(similarity=0.3, link_window=0),
    }
    entries = [
        entry.model_copy(update={"rules": rng.sample(names, rng.randint(1, 3))})
        for entry in _entries()
    ]
    everything = _group_by_rules([e.model_copy() for e in entries], policies, None)
    indexed = _group_by_rules([e.model_copy() for e in entries], policies, ItemIndex())
    assert indexed == everything
    assert len(set(everything)) < len(entries) / 2


def _story(story_id: str, *texts: str) -> Story:
    items = [
        StoryItem(
            id=f"{story_id}-{n}",
            source="s",
            title=text,
            at=T0,
            quote=Quote(text=text),
            rules=["r"],
            vector=fingerprint(text),
            marks=event_marks(text, ""),
        )
        for n, text in enumerate(texts)
    ]
    return Story(id=story_id, rule="r", created=T0, updated=T0, items=items)


STRIKE = "قصف صاروخي يستهدف قاعدة عين الأسد الجوية في محافظة الأنبار غرب العراق"
TALKS = "انطلاق جولة جديدة من الحوار الاستراتيجي بين بغداد وواشنطن في العاصمة الأمريكية"


def _compared(near: Nearness, story: Story) -> list[StoryItem]:
    return [item for _, item, _ in near.items_to_compare(story, PolicySpec())]


def _entry(text: str) -> StoryItem:
    return _story("entry", text).items[0]


def test_a_story_indexed_again_with_a_new_item_finds_it() -> None:
    index = ItemIndex()
    story = _story("a", TALKS)
    index.keep(story)
    near = index.nearness(_entry(STRIKE))
    assert _compared(near, story) == []
    story.items.append(_story("b", STRIKE).items[0])
    assert _compared(near, story) == story.items  # not indexed as it is
    index.keep(story)
    near_again = index.nearness(_entry(STRIKE))
    [(most, item, by_words)] = near_again.items_to_compare(story, PolicySpec())
    assert (item, by_words) == (story.items[1], True)
    assert most >= item_likeness(_entry(STRIKE), item, PolicySpec())


def test_a_story_read_again_indexes_only_its_new_items() -> None:
    """A story read again from Redis holds new objects for the items indexed before, with
    their ids: only the item added since is indexed."""
    index = ItemIndex()
    index.keep(_story("a", TALKS, STRIKE))
    rows, held = index._rows["a"], index._pairs
    read_again = _story("a", TALKS, STRIKE, TALKS)
    index.keep(read_again)
    assert index._rows["a"] is rows  # added to, not built anew
    assert index._pairs == held + len(read_again.items[2].vector)
    assert _compared(index.nearness(_entry(TALKS)), read_again) == [
        read_again.items[0],
        read_again.items[2],
    ]


def test_a_story_that_differs_from_what_was_indexed_is_indexed_anew() -> None:
    index = ItemIndex()
    index.keep(_story("a", TALKS))
    rewritten = _story("a", STRIKE)
    rewritten.items[0].id = "another"
    index.keep(rewritten)
    near = index.nearness(_entry(TALKS))
    assert _compared(near, rewritten) == []


def test_a_dropped_story_leaves_nothing_behind() -> None:
    index = ItemIndex()
    index.keep(_story("a", STRIKE, TALKS))
    index.keep(_story("b", STRIKE))
    index.drop("a")
    index.drop("b")
    assert len(index) == 0
    assert index.nearness(_entry(STRIKE)).words == {}
    assert (index._rows, index._pairs, index._marks) == ({}, 0, {})


def test_dropping_a_story_leaves_the_index_of_those_kept() -> None:
    index, fresh = ItemIndex(), ItemIndex()
    for story in (_story("a", STRIKE, TALKS), _story("b", STRIKE), _story("c", TALKS, STRIKE)):
        index.keep(story)
        if story.id != "b":
            fresh.keep(story)
    index.drop("b")
    for text in (STRIKE, TALKS):
        assert index.nearness(_entry(text)) == fresh.nearness(_entry(text))
    assert index._pairs == fresh._pairs
    assert index._marks == fresh._marks


def test_stems_of_dropped_stories_are_numbered_again_and_the_look_up_is_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker meets new words every day: the numbers of stems no longer held are given
    up once they outnumber those in use, and what the look-up finds stays the same."""
    monkeypatch.setattr(item_index, "RENUMBER_SLACK", 0)
    index, fresh = ItemIndex(), ItemIndex()
    entries = _entries()[:60]
    for n, entry in enumerate(entries):
        if n >= 10:
            index.drop(entries[n - 10].id)
        story = Story(id=entry.id, rule="r", created=entry.at, updated=entry.at, items=[entry])
        index.keep(story)
        if n >= 50:
            fresh.keep(story)
        assert len(index._numbers) <= 2 * index._pairs  # looked at as a story is kept
    for entry in entries[:20]:
        assert index.nearness(entry, 0.2) == fresh.nearness(entry, 0.2)


def test_only_the_stories_asked_about_are_summed_for() -> None:
    index = ItemIndex()
    index.keep(_story("a", STRIKE))
    index.keep(_story("b", STRIKE))
    near = index.nearness(_entry(STRIKE), 0.39, {"b"})
    assert {story_id for story_id, _ in near.words} == {"b"}
    assert {story_id for story_id, _ in near.marks} == {"b"}
    assert {story_id for story_id, _ in index.nearness(_entry(STRIKE)).words} == {"a", "b"}


def test_a_story_is_compared_through_the_index_whichever_of_its_rules_reaches_it() -> None:
    index = ItemIndex()
    story = _story("a", STRIKE)
    index.keep(story)
    joining = _entry(STRIKE + " اليوم").model_copy(update={"rules": ["r", "other"]})
    story.items.append(joining)
    story.rules = ["r", "other"]
    of_other = _entry(TALKS).model_copy(update={"rules": ["other"]})
    # Before the story is indexed with its new item, it is compared in full.
    assert _compared(index.nearness(of_other), story) == story.items
    index.keep(story)
    assert _compared(index.nearness(of_other), story) == []
    striking = _entry(STRIKE).model_copy(update={"rules": ["other"]})
    assert _compared(index.nearness(striking), story) == story.items
    index.drop("a")
    assert len(index) == 0 and index.nearness(striking).words == {}


@pytest.mark.parametrize("similarity", [0.2, 0.39, 0.6])
def test_the_look_up_finds_the_items_whose_wording_may_reach_the_bar_with_their_sums(
    similarity: float,
) -> None:
    """Every entry of the evaluation set against one story per earlier entry: the items
    found are those whose similarity to the entry, compared in full, reaches the bar
    within the look-up's margin, each with that similarity."""
    index = ItemIndex()
    bar = similarity * BOUND_MARGIN
    found = 0
    for entry in _entries():
        near = index.nearness(entry, similarity).words
        for story_id, _ in near:
            assert story_id in index._stories
        full = {
            (story_id, n): entry.compared.similarity(item.compared)
            for story_id, items in index._stories.items()
            for n, item in enumerate(items)
        }
        assert set(near) == {slot for slot, shared in full.items() if shared >= bar}
        assert all(shared == pytest.approx(full[slot], abs=1e-12) for slot, shared in near.items())
        found += len(near)
        index.keep(Story(id=entry.id, rule="r", created=entry.at, updated=entry.at, items=[entry]))
    assert found > 20


def test_items_near_only_by_their_names_are_compared_by_them_alone_to_the_same_choice() -> None:
    """Every entry of the evaluation set against one story per earlier entry: an item the
    index finds near by names but not by words shares too little wording to reach the bar,
    and its likeness without the words is the same wherever it could join (1.0 up)."""
    index = ItemIndex()
    spec = PolicySpec()
    by_names = 0
    stories: list[Story] = []
    for entry in _entries():
        near = index.nearness(entry, spec.similarity)
        for story in stories:
            for _, item, by_words in near.items_to_compare(story, spec):
                full = item_likeness(entry, item, spec)
                if by_words:
                    continue
                by_names += 1
                assert entry.compared.similarity(item.compared) < spec.similarity
                named = item_likeness(entry, item, spec, by_words=False)
                assert named == full if full >= 1.0 else named <= full
        story = Story(id=entry.id, rule="r", created=entry.at, updated=entry.at, items=[entry])
        index.keep(story)
        stories.append(story)
    assert by_names > 100


@pytest.mark.parametrize(
    "spec",
    [PolicySpec(), PolicySpec(similarity=0.2, link_similarity=0.15), PolicySpec(link_window=0)],
    ids=["shipped", "loose", "words-only"],
)
def test_no_item_is_likelier_than_its_bound_and_the_likeliest_come_first(
    spec: PolicySpec,
) -> None:
    """Every entry of the evaluation set against one story per earlier entry (the items of
    an hour apart within each other's link window): the likeness of each item compared,
    in full, is at most the bound it is listed with, and the bounds come highest first."""
    index = ItemIndex()
    stories: list[Story] = []
    compared = 0
    for entry in _entries():
        near = index.nearness(entry, spec.similarity)
        listed = [found for story in stories for found in near.items_to_compare(story, spec)]
        for most, item, by_words in listed:
            assert item_likeness(entry, item, spec, by_words) <= most
        for story in stories:
            bounds = [most for most, _, _ in near.items_to_compare(story, spec)]
            assert bounds == sorted(bounds, reverse=True)
        compared += len(listed)
        story = Story(id=entry.id, rule="r", created=entry.at, updated=entry.at, items=[entry])
        index.keep(story)
        stories.append(story)
    assert compared > 100


def test_a_story_s_items_are_compared_only_while_one_may_come_closer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The evaluation set placed through the index, counting the items compared in full:
    fewer than those listed as near, since a story's items that cannot come closer than
    its closest so far (reports of one event, alike) are passed over."""
    compared = 0

    def counted(
        entry: StoryItem, item: StoryItem, policy: PolicySpec, by_words: bool = True
    ) -> float:
        nonlocal compared
        compared += 1
        return item_likeness(entry, item, policy, by_words)

    listed = 0
    listing = Nearness.items_to_compare

    def counted_list(near: Nearness, story: Story, policy: PolicySpec) -> list[Any]:
        nonlocal listed
        found = listing(near, story, policy)
        listed += len(found)
        return found

    monkeypatch.setattr(grouping, "item_likeness", counted)
    monkeypatch.setattr(Nearness, "items_to_compare", counted_list)
    _group(_entries(), PolicySpec(), ItemIndex())
    assert 0 < compared < listed * 0.9


def test_stories_none_of_whose_items_may_reach_a_bar_are_not_looked_at(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The evaluation set placed through the index: most open stories share a stem or a
    name (Iraq, Baghdad) with each entry, and are passed over without a look at their
    items when none of those may reach either bar; every story looked at lists some."""
    looked_at = empty = 0
    listing = Nearness.items_to_compare

    def counted_list(near: Nearness, story: Story, policy: PolicySpec) -> list[Any]:
        nonlocal looked_at, empty
        found = listing(near, story, policy)
        looked_at += 1
        empty += near.indexed_as_is(story) and not found
        return found

    monkeypatch.setattr(Nearness, "items_to_compare", counted_list)
    placed = _group(_entries(), PolicySpec(), ItemIndex())
    assert looked_at > 0
    assert empty == 0
    assert len(set(placed)) > 30  # many open stories to pass over


def test_items_without_stems_share_nothing_wherever_they_stand_in_a_story() -> None:
    """An item whose fingerprint kept no stem (a headline of numbers, say) has no pairs in
    the index: it and the items after it are still told apart, first, between, or last."""
    strike = _story("s", STRIKE).items[0]
    empty = strike.model_copy(update={"id": "empty", "vector": {}})
    index = ItemIndex()
    index.keep(_story("d", TALKS))
    stories = {"a": [empty, strike], "b": [strike, empty, strike], "c": [strike, empty]}
    for story_id, items in stories.items():
        index.keep(Story(id=story_id, rule="r", created=T0, updated=T0, items=items))
    alone = _entry(STRIKE).compared.similarity(strike.compared)
    for bar in (0.0, 0.39):  # at 0, every item sharing a stem
        near = index.nearness(_entry(STRIKE), bar).words
        assert {("a", 1), ("b", 0), ("b", 2), ("c", 0)} <= set(near)
        assert not {("a", 0), ("b", 1), ("c", 1)} & set(near)
        assert all(near[slot] == pytest.approx(alone, abs=1e-12) for slot in near if slot[0] != "d")
