"""An item's scan: the texts patterns see, and where each text's words are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitor.inputs import read_items, read_path
from monitor.item import Item, field_texts
from monitor.rules import scan
from monitor.rules.gate import PatternGates
from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from monitor.rules.pattern_set import PatternSet
from monitor.rules.rule import Rule
from monitor.rules.scan import ScanBatch, item_sources
from monitor.text.normalizer import normalize
from monitor.text.tokenizer import WORD_RE, words
from tests.conftest import ALJAZEERA, SEEDS


def items() -> list[Item]:
    found = [item for path in SEEDS for item in read_path(path)]
    if ALJAZEERA.exists():
        found += list(read_items([str(ALJAZEERA)]))[::60]
    found += [
        Item(id="empty", title="", content=""),
        Item(id="title", title="عين الأسد"),
        Item(id="lead", summary="Iraq's army", content=""),
        Item(id="ligature", title="ﻻ تفاوض", summary="قال: ﻻ", content="«ﻻ» ـ نعم"),
    ]
    return found


def batch_of(matcher: Matcher, batch_items: list[Item]) -> ScanBatch:
    patterns = (PatternSet([]), [], PatternGates())
    return ScanBatch(batch_items, matcher._spellings, len(matcher._owner), patterns)


def normalised(item: Item) -> list[bytes]:
    return [" ".join(words(normalize(text))).encode() for text in item_sources(field_texts(item))]


@pytest.mark.parametrize("item", items(), ids=lambda item: item.id)
def test_patterns_see_each_text_normalised(shipped_matcher: Matcher, item: Item) -> None:
    assert batch_of(shipped_matcher, [item]).normal_texts() == normalised(item)


def test_patterns_see_each_text_of_a_batch_as_its_own(shipped_matcher: Matcher) -> None:
    batch_items = items()
    expected = [text for item in batch_items for text in normalised(item)]
    assert batch_of(shipped_matcher, batch_items).normal_texts() == expected


@pytest.mark.parametrize("item", items(), ids=lambda item: item.id)
def test_word_spans_are_the_written_words(shipped_matcher: Matcher, item: Item) -> None:
    scan = shipped_matcher.scan(item)
    for text in scan.texts:
        spans = [text.span(word, word) for word in range(len(text.ids))]
        written = [(m.start(), m.end()) for m in WORD_RE.finditer(text.text)]
        # A word that NFKC splits stands for each of its parts, with the written span.
        assert sorted(set(spans)) == sorted(
            span for span in written if normalize(text.text[span[0] : span[1]])
        )


COMMON_WORDS_RULE = """\
id: common-words
title: Iraq and what was said of it
severity: high
terms:
  place: {words: [العراق, بغداد, Iraq]}
  said: {words: [قال, أعلن, أكد, said]}
match: {all: [place, said]}
"""


def test_hits_read_an_item_at_a_time_are_those_of_the_item_matched_alone(
    tmp_path: Path, shipped_rules: list[Rule]
) -> None:
    # A rule judged by where its groups were found has its hits located when they are
    # read, in its own item's words, not the batch's.
    (tmp_path / "common.yaml").write_text(COMMON_WORDS_RULE, encoding="utf-8")
    matcher = Matcher([*shipped_rules, *load_rules([tmp_path])])
    batch_items = [*items(), *items()[::-1]]
    together = matcher.match_many(batch_items)
    alone = [matcher.match(item) for item in batch_items]
    assert together == alone  # matches compare by their hits, read here one by one
    common = [
        n for n, matches in enumerate(together) if any(m.rule == "common-words" for m in matches)
    ]
    assert len(common) > 2 and common[-1] > len(batch_items) // 2


@pytest.mark.parametrize(
    ("rows", "columns"),
    [(100, 28_243), (1 << 16, 1 << 16), (257, 50), ((1 << 16) + 1, 50), (3, (1 << 16) + 1)],
    ids=["narrow", "widest-narrow", "many-rows", "too-many-rows", "too-many-columns"],
)
def test_marked_cells_sort_as_their_numbers_do(rows: int, columns: int) -> None:
    rng = np.random.default_rng(7)
    runs = []
    for size in (0, 1, 5_000, 20_000):
        items = np.sort(rng.integers(0, rows, size))  # runs are marked item after item
        runs.append((items, rng.integers(0, columns, size)))
    runs.append((np.array([rows - 1, 0]), np.array([columns - 1, 0])))
    expected = np.sort(np.concatenate([items * columns + groups for items, groups in runs]))
    assert scan.sorted_cells(runs, rows, columns).tolist() == expected.tolist()


@pytest.mark.parametrize("sorted_below", [1, 1_000_000], ids=["sorted", "read"])
def test_the_cells_found_are_the_cells_of_the_table_set(
    shipped_matcher: Matcher, monkeypatch: pytest.MonkeyPatch, sorted_below: int
) -> None:
    monkeypatch.setattr(scan, "sorted_below", lambda: sorted_below)
    batch = batch_of(shipped_matcher, items())
    cells = batch.found_cells()
    assert len(cells) > 100  # the seeds and articles do hold the shipped rules' terms
    assert cells.tolist() == np.flatnonzero(batch.found.reshape(-1)).tolist()
    assert batch.found_cells().tolist() == cells.tolist()  # the marks let go, read again


def test_the_marked_cells_are_sorted_only_where_this_machine_sorts_them_quicker(
    shipped_matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    measured = scan.sorted_below()
    assert 0 < measured < float("inf")
    sorted_runs: list[int] = []
    sort = scan.distinct_cells
    monkeypatch.setattr(scan, "distinct_cells", lambda *args: sorted_runs.append(1) or sort(*args))
    batch = batch_of(shipped_matcher, items())
    marked = sum(len(items) for items, _ in batch._marked)
    batch.found_cells()
    assert sorted_runs == ([1] if marked * measured <= batch.found.size else [])
