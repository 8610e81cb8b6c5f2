"""The table of whole numbers -> slots that the spelling index keeps its pairs of words in."""

from __future__ import annotations

import random

import numpy as np
import pytest

from monitor.rules import key_table
from monitor.rules.key_table import KeyTable
from monitor.rules.spellings import PAIR_SHIFT


def looked_up(table: KeyTable, keys: list[int]) -> list[int]:
    return table.get(np.array(keys, np.intp)).tolist()


def test_keys_put_get_their_slots_and_others_none() -> None:
    table = KeyTable()
    table.put([7, 0, 1 << 40], [3, 1, 2])
    assert looked_up(table, [1 << 40, 7, 8, 0, 7]) == [2, 3, -1, 1, 3]
    assert len(table) == 3
    assert looked_up(table, []) == []


def test_it_answers_as_a_dict_does_while_it_grows_from_empty() -> None:
    rng = random.Random(5)
    # pairs of word ids, as the spelling index gives them
    keys = list(
        {rng.randrange(1 << 18) << PAIR_SHIFT | rng.randrange(1 << 18) for _ in range(30_000)}
    )
    table, expected = KeyTable(), {}
    for begin in range(0, len(keys), 3_000):
        chunk = keys[begin : begin + 3_000]
        slots = [rng.randrange(1 << 20) for _ in chunk]
        table.put(chunk, slots)
        expected.update(zip(chunk, slots, strict=True))
        asked = rng.sample(keys, 4_000)
        assert looked_up(table, asked) == [expected.get(key, -1) for key in asked]
    assert len(table) == len(keys)


def test_keys_that_share_a_slot_each_find_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(key_table, "_FIRST_BITS", 4)
    table = KeyTable()
    homes = table._homes(np.arange(10_000))
    crowded = np.flatnonzero(homes == homes[0])[:5].tolist()  # one home slot of 16
    table.put(crowded[:4], [10, 11, 12, 13])  # a quarter full: the table keeps 16 slots
    assert len(table._keys) == 16
    assert looked_up(table, crowded) == [10, 11, 12, 13, -1]


def test_a_cleared_table_holds_nothing() -> None:
    table = KeyTable()
    table.put([1, 2], [5, 6])
    table.clear()
    assert looked_up(table, [1, 2]) == [-1, -1] and len(table) == 0
    table.put([2], [9])
    assert looked_up(table, [1, 2]) == [-1, 9]
