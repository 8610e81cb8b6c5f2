"""The table that finds spelling ids for all the words of a text at once."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.rules import spelling_table
from monitor.rules.matcher import BATCH_CHARS, BATCH_ITEMS
from monitor.rules.scan import TEXTS
from monitor.rules.spelling_table import Hashes, SpellingTable
from monitor.rules.spellings import SpellingIndex
from monitor.text.word_spans import Codes, Positions, code_points, word_spans


def ids_in(table: SpellingTable, text: str) -> list[int]:
    codes = code_points(text)
    spans = word_spans(codes)
    return table.find(codes, spans, table.hashes(codes, spans.starts, spans.ends)).tolist()


def table_of(spellings: list[str]) -> SpellingTable:
    table = SpellingTable()
    for spelling in spellings:  # ids in order: 0, 1, 2...
        table.add(spelling, table.hash_of(code_points(spelling)))
    return table


def test_known_words_get_their_ids_and_others_none() -> None:
    table = table_of(["عين", "الأسد", "3", "4", "Iraq's"])
    assert ids_in(table, "قصف عين الأسد، 3 و4 Iraq's 34 عين") == [-1, 0, 1, 2, -1, 4, -1, 0]


def test_a_word_hashes_the_same_wherever_it_stands() -> None:
    table = SpellingTable()
    codes = code_points("ab xab ab")
    spans = word_spans(codes)
    hashes = table.hashes(codes, spans.starts, spans.ends).tolist()
    assert hashes[0] == hashes[2] == table.hash_of(code_points("ab")) != hashes[1]


def test_many_spellings_stay_found_as_the_table_grows() -> None:
    spellings = [f"w{number}" for number in range(20_000)]
    table = table_of(spellings)
    assert ids_in(table, " ".join(spellings)) == list(range(20_000))


@pytest.fixture
def one_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every word hashes alike, as two spellings that collide would."""

    def same(self: SpellingTable, codes: Codes, starts: Positions, ends: Positions) -> Hashes:
        return np.full(len(starts), 12345, np.uint64)

    monkeypatch.setattr(SpellingTable, "hashes", same)


@pytest.mark.usefixtures("one_hash")
def test_a_hash_shared_with_another_spelling_gives_no_id() -> None:
    table = table_of(["ab", "ba", "abc"])
    assert ids_in(table, "ab ba abc cd") == [0, -1, -1, -1]


@pytest.mark.usefixtures("one_hash")
def test_the_index_gives_the_right_ids_when_hashes_collide() -> None:
    index = SpellingIndex({}, [])
    first = index.words_in("سلام عليكم سلام").ids.tolist()
    again = index.words_in("عليكم سلام").ids.tolist()
    assert first[0] == first[2] != first[1]
    assert again == [first[1], first[0]]
    assert [index.spellings[i] for i in first] == ["سلام", "عليكم", "سلام"]


@pytest.fixture
def one_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Words "w1", "w2"... hash apart but all to the first slot, so that the n-th stored is
    found only n - 1 steps of probing on."""
    inverse = pow(spelling_table._MIX, -1, 1 << 64)

    def crowded(self: SpellingTable, codes: Codes, starts: Positions, ends: Positions) -> Hashes:
        words = ["".join(map(chr, codes[a:b])) for a, b in zip(starts, ends, strict=True)]
        return np.array([int(word[1:]) * inverse % (1 << 64) for word in words], np.uint64)

    monkeypatch.setattr(SpellingTable, "hashes", crowded)


@pytest.mark.usefixtures("one_slot")
def test_words_are_found_however_far_they_were_probed_on() -> None:
    stored = [f"w{n}" for n in range(1, 13)]  # past the steps probed for all words at once
    table = table_of(stored)
    asked = ["w12", "w1", "w5", "w13", "w3", "w12", "w9", "w2"]
    assert ids_in(table, " ".join(asked)) == [11, 0, 4, -1, 2, 11, 8, 1]


def test_a_text_longer_than_the_kept_powers_hashes_alike() -> None:
    table = table_of(["ab", "عين"])
    long = "ab " * 40_000 + "عين"
    assert ids_in(table, long)[-2:] == [0, 1]
    assert ids_in(table, "عين ab") == [1, 0]


def test_spellings_added_between_look_ups_are_all_found() -> None:
    table = SpellingTable()
    spellings: list[str] = []
    for batch in range(30):  # past several growths of the slots, each batch placed at once
        for number in range(batch * 7):
            spelling = f"w{batch}x{number}"
            table.add(spelling, table.hash_of(code_points(spelling)))
            spellings.append(spelling)
        assert ids_in(table, " ".join(spellings)) == list(range(len(spellings)))


def test_a_whole_batch_is_hashed_with_the_powers_kept() -> None:
    assert BATCH_CHARS + TEXTS * BATCH_ITEMS <= spelling_table.KEPT_POWERS
    table = SpellingTable()
    codes = code_points("word " * (BATCH_CHARS // 5))
    spans = word_spans(codes)
    table.hashes(codes, spans.starts, spans.ends)
    kept = table._powers
    table.hashes(codes, spans.starts, spans.ends)
    assert table._powers is kept and len(kept) >= len(codes)
