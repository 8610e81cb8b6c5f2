from __future__ import annotations

import pytest
import redis

from monitor import dedup
from monitor.dedup import Seen, SeenSet
from monitor.item import Item
from monitor.keyspace import Keyspace


def item(item_id: str, title: str = "عنوان", link: str = "") -> Item:
    return Item(id=item_id, title=title, link=link)


def test_each_item_is_new_once(redis_client: redis.Redis, keys: Keyspace) -> None:
    seen = SeenSet(redis_client, keys, retention=60)
    assert seen.claim([item("a", "أ"), item("b", "ب"), item("a", "أ")]) == [
        Seen.NEW,
        Seen.NEW,
        Seen.REPEAT,
    ]
    assert redis_client.ttl(keys.seen_key("id", "a")) > 0


def test_a_new_seen_set_remembers(redis_client: redis.Redis, keys: Keyspace) -> None:
    SeenSet(redis_client, keys, retention=60).claim([item("x")])
    assert SeenSet(redis_client, keys, retention=60).claim([item("x")]) == [Seen.REPEAT]


def test_same_link_under_a_new_guid_is_a_repeat(redis_client: redis.Redis, keys: Keyspace) -> None:
    seen = SeenSet(redis_client, keys, retention=60)
    seen.claim([item("guid-1", "خبر", "https://x.example/a")])
    assert seen.claim([item("guid-2", "خبر", "https://x.example/a")]) == [Seen.REPEAT]


def test_same_headline_in_two_feeds_is_a_repeat(redis_client: redis.Redis, keys: Keyspace) -> None:
    seen = SeenSet(redis_client, keys, retention=60)
    seen.claim([item("feed1-7", "انطلاق الجولة الأولى من الحوار")])
    assert seen.claim([item("feed2-9", "انطلاقُ الجولةِ الأولى من الحوار!")]) == [Seen.REPEAT]


def test_edited_headline_is_an_edit(redis_client: redis.Redis, keys: Keyspace) -> None:
    seen = SeenSet(redis_client, keys, retention=60)
    seen.claim([item("g", "عنوان أول")])
    assert seen.claim([item("g", "عنوان معدل")]) == [Seen.EDIT]
    assert seen.claim([item("g", "عنوان معدل")]) == [Seen.REPEAT]


def test_forget_lets_an_item_through_again(redis_client: redis.Redis, keys: Keyspace) -> None:
    seen = SeenSet(redis_client, keys, retention=60)
    seen.claim([item("x")])
    seen.forget([item("x")])
    assert seen.claim([item("x")]) == [Seen.NEW]


def test_items_claimed_in_several_calls_are_told_apart_as_in_one(
    redis_client: redis.Redis, keys: Keyspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dedup, "CLAIM_BATCH", 2)
    seen = SeenSet(redis_client, keys, retention=60)
    found = seen.claim(
        [
            item("a", "أ"),
            item("b", "ب", "https://x.example/b"),
            item("a", "أ"),  # the next call: a repeat of the first
            item("c", "ب"),  # the same headline as b under another guid
            item("a", "أ معدل"),  # an edit of a
        ]
    )
    assert found == [Seen.NEW, Seen.NEW, Seen.REPEAT, Seen.REPEAT, Seen.EDIT]
    assert seen.claim([]) == []
