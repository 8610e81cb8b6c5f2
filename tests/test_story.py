"""Grouping into stories, on a real Redis: the seeds make three stories."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import redis

from monitor.inputs import read_path
from monitor.item import field_texts
from monitor.keyspace import Keyspace
from monitor.notification import Quote
from monitor.rules.model import PolicySpec
from monitor.stories import book as book_module
from monitor.stories.book import StoryBook
from monitor.stories.story import Story, StoryItem
from monitor.text.fingerprint import fingerprint, similarity
from tests.conftest import SEEDS
from tests.processes import wait_until

T0 = 1_706_000_000.0


def entry(item_id: str, text: str, at: float = T0, source: str = "", rule: str = "r") -> StoryItem:
    return StoryItem(
        id=item_id,
        source=source or item_id,
        title=text[:40],
        at=at,
        quote=Quote(text=text[:50]),
        rules=[rule],
        vector=fingerprint(text),
    )


def policy(**settings: float) -> Callable[[str], PolicySpec]:
    spec = PolicySpec(**settings)  # type: ignore[arg-type]
    return lambda rule: spec


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
        story, changed = book.place(seed, policy(), T0)
        assert changed
        placed[seed.id] = story.id
    assert placed["000"] == placed["001"] == placed["003"]
    assert len({placed["000"], placed["002"], placed["004"]}) == 3


def test_placing_the_same_item_twice_changes_nothing(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    first = seed_entries()[0]
    story, _ = book.place(first, policy(), T0)
    again, changed = book.place(first, policy(), T0 + 5)
    assert not changed and again.id == story.id and len(again.items) == 1


def test_stories_close_after_their_window(redis_client: redis.Redis, keys: Keyspace) -> None:
    book = StoryBook(redis_client, keys, retention=10 * 86_400)
    text = "قصف صاروخي على قاعدة عين الأسد الجوية غرب العراق"
    hour = policy(story_window=3600)
    story, _ = book.place(entry("a", text), hour, T0)
    same, _ = book.place(entry("b", text, T0 + 600), hour, T0 + 600)
    later, _ = book.place(entry("c", text, T0 + 7200), hour, T0 + 7200)
    assert same.id == story.id and len(same.items) == 2
    assert later.id != story.id


def test_stories_of_unrelated_rules_stay_apart(redis_client: redis.Redis, keys: Keyspace) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    text = "قصف صاروخي على قاعدة عين الأسد"
    one, _ = book.place(entry("a", text, rule="r1"), policy(), T0)
    two, _ = book.place(entry("b", text, rule="r2"), policy(), T0)
    assert one.id != two.id


def test_an_item_of_two_rules_joins_either_rules_story_and_names_both(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    text = "انطلاق الجولة الأولى من الحوار بين العراق والولايات المتحدة لإنهاء مهمة التحالف"
    talks, _ = book.place(entry("a", text, rule="talks"), policy(), T0)
    both = entry("b", text, T0 + 60)
    both.rules = ["withdrawal", "talks"]
    joined, changed = book.place(both, policy(), T0 + 60)
    assert changed and joined.id == talks.id
    assert joined.every_rule == ["talks", "withdrawal"]
    later = entry("c", text, T0 + 120, rule="withdrawal")
    again, _ = book.place(later, policy(), T0 + 120)
    assert again.id == talks.id and len(again.items) == 3


def test_a_book_sees_what_another_worker_added_to_a_story_it_has_read(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    mine, theirs = (StoryBook(redis_client, keys, retention=3600) for _ in range(2))
    text = "قصف صاروخي على قاعدة عين الأسد الجوية غرب العراق"
    story, _ = mine.place(entry("a", text), policy(), T0)
    theirs.place(entry("b", text), policy(), T0)  # at the same clock time as the first
    again, changed = mine.place(entry("b", text), policy(), T0)
    assert not changed and again.id == story.id and [i.id for i in again.items] == ["a", "b"]
    third, changed = mine.place(entry("c", text), policy(), T0)
    assert changed and [i.id for i in third.items] == ["a", "b", "c"]
    assert [i.id for i in (StoryBook(redis_client, keys, 3600).get(story.id) or third).items] == [
        "a",
        "b",
        "c",
    ]


def test_a_book_that_keeps_few_stories_parsed_still_places_every_item(
    redis_client: redis.Redis, keys: Keyspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(book_module, "CACHED_STORIES", 2)
    book = StoryBook(redis_client, keys, retention=3600)
    seeds = seed_entries()
    placed = {e.id: book.place(e, policy(), T0)[0].id for e in seeds}
    fresh = StoryBook(redis_client, keys, retention=3600)
    assert {e.id: fresh.place(e, policy(), T0)[0].id for e in seeds} == placed
    assert len(set(placed.values())) == 3


def test_the_ids_a_story_holds_follow_its_items_and_stay_out_of_its_equality() -> None:
    story = Story(id="s", rule="r", created=T0, updated=T0, items=[entry("a", "one")])
    twin = story.model_copy(deep=True)
    assert story.item_ids() == {"a"} and story.holds("a") and not story.holds("b")
    assert story == twin and story.model_dump_json() == twin.model_dump_json()
    story.items.append(entry("b", "two"))
    assert story.holds("b") and story.item_ids() == {"a", "b"}
    story.items = [entry("c", "three")]
    assert story.item_ids() == {"c"} and not story.holds("a")


def test_near_duplicate_wire_copy_is_very_similar() -> None:
    wire = "أعلنت وزارة الخارجية العراقية اليوم انطلاق الجولة الثانية من الحوار مع الولايات المتحدة"
    copy = (
        "بغداد - أعلنت وزارة الخارجية العراقية، اليوم، "
        "انطلاق الجولة الثانية من الحوار مع الولايات المتحدة."
    )
    other = "أعلنت وزارة الزراعة العراقية اليوم خطة لدعم مزارعي القمح في محافظات الوسط"
    assert similarity(fingerprint(wire), fingerprint(copy)) > 0.9
    assert similarity(fingerprint(wire), fingerprint(other)) < 0.3


STRIKE = "قصف صاروخي على قاعدة عين الأسد الجوية غرب العراق"


def test_an_item_joining_adds_itself_to_the_stored_list_and_the_header_stays_small(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    for n in range(5):
        story, _ = book.place(entry(f"i{n}", STRIKE, T0 + n), policy(), T0 + n)
    header = json.loads(redis_client.get(keys.story(story.id)) or b"{}")
    assert "items" not in header and header["id"] == story.id
    listed = [
        json.loads(raw)["id"] for raw in redis_client.lrange(keys.story_items(story.id), 0, -1)
    ]
    assert listed == ["i0", "i1", "i2", "i3", "i4"]
    assert 0 < redis_client.ttl(keys.story_items(story.id)) <= 3600
    read = StoryBook(redis_client, keys, retention=3600).get(story.id)
    assert read is not None and read == story


def test_a_book_parses_only_the_items_added_since_it_last_read_a_story(
    redis_client: redis.Redis, keys: Keyspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, theirs = (StoryBook(redis_client, keys, retention=3600) for _ in range(2))
    for n in range(4):
        story, _ = theirs.place(entry(f"i{n}", STRIKE, T0 + n), policy(), T0 + n)
    assert [i.id for i in (mine.read([story.id])[0] or story).items] == ["i0", "i1", "i2", "i3"]
    mine.place(entry("i4", STRIKE, T0 + 4), policy(), T0 + 4)  # reads and keeps the story
    theirs.place(entry("i5", STRIKE, T0 + 5), policy(), T0 + 5)
    parsed: list[str] = []
    plain = StoryItem.model_validate_json

    class Counted(StoryItem):
        @classmethod
        def model_validate_json(cls, data: str | bytes | bytearray, **_: object) -> StoryItem:
            found = plain(data)
            parsed.append(found.id)
            return found

    monkeypatch.setattr(book_module, "StoryItem", Counted)
    again, changed = mine.place(entry("i6", STRIKE, T0 + 6), policy(), T0 + 6)
    assert changed and [i.id for i in again.items] == [f"i{n}" for n in range(7)]
    assert parsed == ["i5"]


def test_a_story_stored_whole_is_read_whole_and_keeps_its_items_when_one_joins(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    story, _ = book.place(entry("a", STRIKE), policy(), T0)
    story.items.append(entry("b", STRIKE, T0 + 1))
    # As stories were stored before they had item lists: one JSON holding every item.
    redis_client.set(keys.story(story.id), story.model_dump_json())
    redis_client.delete(keys.story_items(story.id))
    redis_client.zadd(keys.open_stories("r"), {story.id: T0 + 0.5})
    fresh = StoryBook(redis_client, keys, retention=3600)
    assert [i.id for i in (fresh.get(story.id) or story).items] == ["a", "b"]
    joined, changed = fresh.place(entry("c", STRIKE, T0 + 2), policy(), T0 + 2)
    assert changed and joined.id == story.id
    again = StoryBook(redis_client, keys, retention=3600).get(story.id)
    assert again is not None and [i.id for i in again.items] == ["a", "b", "c"]


def test_an_item_another_worker_added_unseen_is_kept_and_read_next_time(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    story, _ = book.place(entry("a", STRIKE), policy(), T0)
    # Another worker's item, listed while this book held the story as it last stored it
    # (as when two workers add to a story through two of its rules at once).
    other = entry("x", STRIKE, T0 + 1)
    redis_client.rpush(keys.story_items(story.id), other.model_dump_json())
    book.place(entry("b", STRIKE, T0 + 2), policy(), T0 + 2)
    again, changed = book.place(entry("c", STRIKE, T0 + 3), policy(), T0 + 3)
    assert changed and [i.id for i in again.items] == ["a", "x", "b", "c"]


def test_a_story_started_again_by_the_same_item_holds_only_its_new_items(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=10 * 86_400)
    hour = policy(story_window=3600)
    first, _ = book.place(entry("a", STRIKE), hour, T0)
    book.place(entry("b", STRIKE, T0 + 60), hour, T0 + 60)
    again, changed = book.place(entry("a", STRIKE, T0 + 7200), hour, T0 + 7200)
    assert changed and again.id == first.id  # its id is its rule's and its first item's
    stored = StoryBook(redis_client, keys, retention=3600).get(again.id)
    assert stored is not None and [i.id for i in stored.items] == ["a"]


def mixed_entries() -> list[tuple[StoryItem, float]]:
    """Seeds and strikes under two rules, an item of both, one placed twice, and a story
    that closes and starts again under a one-hour window: what a batch may hold."""
    talks = "انطلاق الجولة الأولى من الحوار بين العراق والولايات المتحدة لإنهاء مهمة التحالف"
    both = entry("both", talks, T0 + 30)
    both.rules = ["withdrawal", "r"]
    placements = [(e, T0) for e in seed_entries()]
    placements += [(entry(f"s{n}", STRIKE, T0 + n, rule="r2"), T0 + n) for n in range(3)]
    placements += [(entry("t", talks, T0 + 20), T0 + 20), (both, T0 + 30)]
    placements += [(entry("w", talks, T0 + 40, rule="withdrawal"), T0 + 40)]
    placements += [(entry("s0", STRIKE, T0 + 50, rule="r2"), T0 + 50)]
    placements += [(entry("s0", STRIKE, T0 + 7200, rule="r2"), T0 + 7200)]
    return placements


def stored(client: redis.Redis, keys: Keyspace, story_ids: set[str]) -> dict[str, list[str]]:
    """The ids of each story's items as a fresh book reads them (none for one not stored)."""
    read = StoryBook(client, keys, retention=3600).read(sorted(story_ids))
    return {
        i: [item.id for item in story.items] if story else []
        for i, story in zip(sorted(story_ids), read, strict=True)
    }


def test_a_batch_is_placed_as_its_items_would_be_one_by_one(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    hour = policy(story_window=3600)
    one_by_one = StoryBook(redis_client, keys, retention=86_400)
    singly = [one_by_one.place(e, hour, now) for e, now in mixed_entries()]
    other = Keyspace(f"{keys.prefix}:batch")
    batched = StoryBook(redis_client, other, retention=86_400).place_all(mixed_entries(), hour)
    assert [(s.id, changed) for s, changed in batched] == [(s.id, c) for s, c in singly]
    story_ids = {s.id for s, _ in singly}
    assert stored(redis_client, other, story_ids) == stored(redis_client, keys, story_ids)
    assert sorted(stored(redis_client, other, story_ids).values()) == [
        ["000", "001", "003"],
        ["002"],
        ["004"],
        ["s0"],  # its strikes' story closed, and s0 placed again started it anew
        ["t", "both", "w"],  # w, of withdrawal only, joins through both's second rule
    ]
    for rule in ("r", "r2", "withdrawal"):  # each rule lists the same stories, at one score
        as_batch = redis_client.zrange(other.open_stories(rule), 0, -1, withscores=True)
        assert as_batch == redis_client.zrange(keys.open_stories(rule), 0, -1, withscores=True)
        assert as_batch


def test_a_rules_open_stories_drop_those_updated_a_retention_before_its_latest(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    key = keys.open_stories("r")
    redis_client.zadd(key, {"stale": T0 - 7200, "recent": T0 - 600})
    story, _ = book.place(entry("a", STRIKE, T0), policy(), T0)
    listed = dict(redis_client.zrange(key, 0, -1, withscores=True))
    assert set(listed) == {b"recent", story.id.encode()}
    assert 0 < redis_client.ttl(key) <= 3600


def test_a_book_trims_a_rules_open_stories_once_a_minute_of_clock_time(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=3600)
    key = keys.open_stories("r")
    book.place(entry("a", STRIKE, T0), policy(), T0)
    redis_client.zadd(key, {"stale": T0 - 7200})
    redis_client.persist(key)
    book.place(entry("b", STRIKE, T0 + 30), policy(), T0 + 30)
    assert b"stale" in redis_client.zrange(key, 0, -1) and redis_client.ttl(key) == -1
    book.place(entry("c", STRIKE, T0 + 60), policy(), T0 + 60)
    assert b"stale" not in redis_client.zrange(key, 0, -1) and 0 < redis_client.ttl(key) <= 3600
    assert redis_client.zcard(key) >= 1


def test_a_batch_takes_its_locks_once_and_stores_its_stories_in_one_transaction(
    redis_client: redis.Redis, keys: Keyspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = StoryBook(redis_client, keys, retention=86_400)
    taken: list[list[list[str]]] = []
    hold = book._locks.held_some

    def counted(groups: list[list[str]]) -> AbstractContextManager[list[int]]:
        taken.append([list(rules) for rules in groups])
        return hold(groups)

    monkeypatch.setattr(book._locks, "held_some", counted)
    executed = 0
    plain_execute = redis.client.Pipeline.execute

    def execute(pipe: redis.client.Pipeline, raise_on_error: bool = True) -> list[object]:
        nonlocal executed
        executed += pipe.transaction and any(
            name == "RPUSH" for (name, *_), _ in pipe.command_stack
        )
        return plain_execute(pipe, raise_on_error)

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    placed = book.place_all(mixed_entries(), policy(story_window=3600))
    # r and withdrawal are one group: an item alerted on both
    assert taken == [[["r", "withdrawal"], ["r2"]]]
    assert executed == 1 and len({s.id for s, _ in placed}) == 5


def test_a_batch_places_the_items_whose_locks_are_free_while_another_holds_the_rest(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    hour = policy(story_window=3600)
    singly = StoryBook(redis_client, keys, retention=86_400)
    expected = [
        (s.id, changed) for s, changed in (singly.place(e, hour, t) for e, t in mixed_entries())
    ]
    other = Keyspace(f"{keys.prefix}:held")
    redis_client.set(other.story_lock("r2"), "another worker")  # freed below
    book = StoryBook(redis_client, other, retention=86_400)
    placed: list[tuple[Story, bool]] = []
    placing = threading.Thread(target=lambda: placed.extend(book.place_all(mixed_entries(), hour)))
    placing.start()
    try:
        wait_until(
            lambda: redis_client.exists(other.open_stories("withdrawal")) == 1,
            "the items of r and withdrawal to be placed while r2's lock is held",
        )
        assert redis_client.exists(other.open_stories("r2")) == 0
        assert placing.is_alive()  # it waits for r2's lock, and has not taken it
        assert redis_client.get(other.story_lock("r2")) == b"another worker"
    finally:
        redis_client.delete(other.story_lock("r2"))
        placing.join(timeout=60)
    assert [(s.id, changed) for s, changed in placed] == expected
    story_ids = {story_id for story_id, _ in expected}
    assert stored(redis_client, other, story_ids) == stored(redis_client, keys, story_ids)
    assert redis_client.keys(other.story_lock("*")) == []


def test_a_desk_stores_each_entry_as_placed_and_places_as_one_by_one(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    """A replay places a run of entries under one hold on their locks and decides stories
    between them: each store is read back at once, and the stories are those of placing
    the entries one at a time."""
    hour = policy(story_window=3600)
    one_by_one = StoryBook(redis_client, keys, retention=86_400)
    singly = [one_by_one.place(e, hour, now) for e, now in mixed_entries()]
    other = Keyspace(f"{keys.prefix}:desk")
    book = StoryBook(redis_client, other, retention=86_400)
    reader = StoryBook(redis_client, other, retention=86_400)  # as a decision reads it
    placed = []
    with book.placing(mixed_entries(), hour) as desk:
        for e, now in mixed_entries():
            story, changed = desk.place(e, now)
            desk.store()
            placed.append((story.id, changed))
            seen = reader.get(story.id)
            assert seen is not None and e.id in [item.id for item in seen.items]
    assert placed == [(s.id, c) for s, c in singly]
    story_ids = {s.id for s, _ in singly}
    assert stored(redis_client, other, story_ids) == stored(redis_client, keys, story_ids)


def test_a_desk_that_fails_forgets_what_it_changed_and_frees_its_locks(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = StoryBook(redis_client, keys, retention=86_400)
    a = entry("a", STRIKE, T0)
    with pytest.raises(RuntimeError), book.placing([(a, T0)], policy()) as desk:
        desk.place(a, T0)
        raise RuntimeError("the worker failed before storing")
    assert book._parsed == {}
    story, changed = book.place(a, policy(), T0)  # the locks are free, the item not stored
    assert changed and [item.id for item in story.items] == ["a"]
