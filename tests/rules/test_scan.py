"""An item's scan: the texts patterns see, and where each text's words are."""

from __future__ import annotations

import pytest

from monitor.inputs import read_items, read_path
from monitor.item import Item, field_texts
from monitor.rules.gate import PatternGates
from monitor.rules.matcher import Matcher
from monitor.rules.pattern_set import PatternSet
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
