"""The sieve never turns away a word that has one of its keys, and turns away most words."""

from __future__ import annotations

import json
import random
from itertools import islice

import pytest

from monitor.inputs import read_path
from monitor.rules.matcher import Matcher
from monitor.text.key_sieve import KeySieve
from monitor.text.keys import STEM_MARK, analyze, is_arabic
from monitor.text.tokenizer import words
from tests.conftest import ALJAZEERA, SEEDS

ARTICLES = 300


@pytest.fixture(scope="module")
def real_words() -> list[str]:
    """The distinct normalised words of the seeds and of part of the background corpus."""
    texts = [f"{item.title} {item.content}" for seed in SEEDS for item in read_path(seed)]
    if ALJAZEERA.exists():
        with ALJAZEERA.open(encoding="utf-8") as corpus:
            for line in islice(corpus, ARTICLES):
                article = json.loads(line)
                texts.append(f"{article['title']} {article['content']}")
    return sorted({word.word for text in texts for raw in words(text) for word in analyze(raw)})


def keys_of(word: str) -> frozenset[str]:
    (analysed,) = analyze(word)
    return analysed.keys


def turned_away_wrongly(sieve: KeySieve, wanted: frozenset[str], found: list[str]) -> list[str]:
    return [word for word in found if not sieve(word) and keys_of(word) & wanted]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_word_with_a_wanted_key_is_turned_away(real_words: list[str], seed: int) -> None:
    every_key = sorted({key for word in real_words for key in keys_of(word)})
    wanted = frozenset(random.Random(seed).sample(every_key, len(every_key) // 20))
    assert turned_away_wrongly(KeySieve(wanted), wanted, real_words) == []


def test_the_shipped_rules_keys_turn_most_arabic_words_away(
    real_words: list[str], shipped_matcher: Matcher
) -> None:
    wanted = frozenset(key for term in shipped_matcher._term_ids for key in term)
    sieve = KeySieve(wanted)
    assert turned_away_wrongly(sieve, wanted, real_words) == []
    arabic = [word for word in real_words if is_arabic(word)]
    let_through = sum(map(sieve, arabic))
    assert let_through < len(arabic) / 2, (let_through, len(arabic))


@pytest.mark.parametrize(
    ("key", "word"),
    [
        ("حكومه", "وبالحكومه"),  # a clitic chain of four letters
        (STEM_MARK + "مسيره", "مسيرتين"),  # ة written ت before a suffix
        (STEM_MARK + "قياده", "قيادتها"),
        (STEM_MARK + "هجوم", "هجوماً".replace("ً", "")),  # the accusative alef
        (STEM_MARK + "مفاوض", "والمفاوضاتهم"),
        (STEM_MARK + "مدرس", "مدرستانهماا"),  # the longest tail: ا, هما, ان, ة as ت
        ("من", "من"),  # a key shorter than any stem
        ("talks", "talks"),  # words in Latin letters are always let through
    ],
)
def test_words_that_have_the_key_pass(key: str, word: str) -> None:
    assert key in keys_of(word)
    assert KeySieve([key])(word)


@pytest.mark.parametrize(
    ("key", "word"),
    [
        (STEM_MARK + "حكومه", "مدرسه"),
        ("من", "منظمه"),  # a key inside a word, that no clitic or suffix leaves
        (STEM_MARK + "من", "منظمه"),
        ("حكومه", "حكوماتهم"),  # an exact key is the whole word less its clitics
    ],
)
def test_words_that_cannot_have_the_key_are_turned_away(key: str, word: str) -> None:
    assert key not in keys_of(word)
    assert not KeySieve([key])(word)
