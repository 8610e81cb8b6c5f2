"""Grouping into stories, on a real Redis: the seeds make three stories."""

from __future__ import annotations

import redis

from monitor.inputs import read_path
from monitor.item import field_texts
from monitor.keyspace import Keyspace
from monitor.notification import Quote
from monitor.rules.model import PolicySpec
from monitor.story import StoryBook, StoryItem
from monitor.text.fingerprint import fingerprint, similarity
from tests.conftest import SEEDS

T0 = 1_706_000_000.0


def entry(item_id: str, text: str, at: float = T0, source: str = "") -> StoryItem:
    return StoryItem(
        id=item_id,
        source=source or item_id,
        title=text[:40],
        at=at,
        quote=Quote(text=text[:50]),
        vector=fingerprint(text),
    )


def seed_entries() -> list[StoryItem]:
    entries = []
    for path in SEEDS:
        (item,) = read_path(path)
        texts = field_texts(item)
        entries.append(entry(item.id[:3], f"{texts.title}\n{texts.body}"))
    return entries


def test_seeds_group_into_three_stories(redis_client: redis.Redis, keys: Keyspace) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    placed = {}
    for seed in seed_entries():
        story, changed = book.place("us-iraq-talks", seed, PolicySpec(), T0)
        assert changed
        placed[seed.id] = story.id
    assert placed["000"] == placed["001"] == placed["003"]
    assert len({placed["000"], placed["002"], placed["004"]}) == 3


def test_placing_the_same_item_twice_changes_nothing(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    first = seed_entries()[0]
    story, _ = book.place("r", first, PolicySpec(), T0)
    again, changed = book.place("r", first, PolicySpec(), T0 + 5)
    assert not changed and again.id == story.id and len(again.items) == 1


def test_stories_close_after_their_window(redis_client: redis.Redis, keys: Keyspace) -> None:
    book = StoryBook(redis_client, keys, retention=10 * 86_400)
    text = "قصف صاروخي على قاعدة عين الأسد الجوية غرب العراق"
    policy = PolicySpec(story_window=3600)
    story, _ = book.place("r", entry("a", text), policy, T0)
    same, _ = book.place("r", entry("b", text, T0 + 600), policy, T0 + 600)
    later, _ = book.place("r", entry("c", text, T0 + 7200), policy, T0 + 7200)
    assert same.id == story.id and len(same.items) == 2
    assert later.id != story.id


def test_stories_are_per_rule(redis_client: redis.Redis, keys: Keyspace) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    text = "قصف صاروخي على قاعدة عين الأسد"
    one, _ = book.place("r1", entry("a", text), PolicySpec(), T0)
    two, _ = book.place("r2", entry("a", text), PolicySpec(), T0)
    assert one.id != two.id


def test_near_duplicate_wire_copy_is_very_similar() -> None:
    wire = "أعلنت وزارة الخارجية العراقية اليوم انطلاق الجولة الثانية من الحوار مع الولايات المتحدة"
    copy = (
        "بغداد - أعلنت وزارة الخارجية العراقية، اليوم، "
        "انطلاق الجولة الثانية من الحوار مع الولايات المتحدة."
    )
    other = "أعلنت وزارة الزراعة العراقية اليوم خطة لدعم مزارعي القمح في محافظات الوسط"
    assert similarity(fingerprint(wire), fingerprint(copy)) > 0.9
    assert similarity(fingerprint(wire), fingerprint(other)) < 0.3
