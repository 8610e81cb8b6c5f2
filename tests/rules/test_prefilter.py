"""The strings a pattern cannot match without, and the candidates they leave: never a
pattern that matches left out, on the shipped rules and real reporting."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import re2

from monitor.inputs import read_items
from monitor.item import Item, field_texts
from monitor.rules.loader import load_rules
from monitor.rules.pattern_set import OPTIONS, PatternSet
from monitor.rules.prefilter import Prefilter, required_strings
from monitor.rules.scan import item_sources
from monitor.text.normalizer import normalize
from monitor.text.tokenizer import words
from tests.conftest import ALJAZEERA, RULES_DIR, SEEDS

EVAL = Path(__file__).resolve().parents[1] / "data" / "eval"


def clauses(source: str) -> set[frozenset[str]]:
    return set(required_strings(source))


def test_words_one_after_another_are_one_string() -> None:
    assert clauses(r"\bain al asad\b") == {frozenset({"ain al asad"})}


def test_alternatives_are_a_clause_of_their_strings() -> None:
    assert clauses("(^| )(قصف|غاره)( |$)") == {frozenset({"قصف", "غاره"})}


def test_optional_parts_are_followed_while_the_strings_are_few() -> None:
    assert clauses("(ال)?(امريكي|اميركي)") == {
        frozenset({"امريكي", "اميركي"})  # "الامريكي" holds "امريكي"
    }


def test_each_run_between_unknown_parts_is_a_clause() -> None:
    found = clauses(r"\b(strike|strikes) (\w+ )?on (ain al asad|al asad)\b")
    assert found == {
        frozenset({"strike ", "strikes "}),
        frozenset({"on ain al asad", "on al asad"}),
    }


def test_a_clause_of_strings_too_short_to_tell_is_dropped() -> None:
    assert clauses(r"\bal (\w+ )+asad\b") == {frozenset({"asad"})}
    assert clauses("[0-9]+") == set()


def test_small_classes_and_ranges_are_followed() -> None:
    assert clauses("(^| )[وب]?قصف") == {frozenset({"قصف"})}
    assert clauses("year 20[0-9]") == {frozenset({f"year 20{d}" for d in range(10)})}
    # 200 strings are too many: the years' first three digits are told instead.
    years = {f"{century}{d}" for century in ("19", "20") for d in range(10)}
    assert clauses("(19|20)[0-9][0-9]") == {frozenset(years)}


def test_alternatives_of_unknown_parts_share_their_most_telling_clauses() -> None:
    found = clauses(r"\b(attack \w+ base|strike \w+ airfield)\b")
    assert found == {frozenset({"attack ", " airfield"})}


def test_an_alternative_that_needs_nothing_makes_the_whole_need_nothing() -> None:
    assert clauses(r"\b(iraq|\w+)\b") == set()


@pytest.mark.parametrize(
    "source",
    [
        "(?i)iraq",  # a flag changes what the strings match
        r"\p{Arabic}+ قصف",
        "[[:alpha:]] strike",
        r"\Qa.b\E",
        r"(a)\1",
        r"x{,3}yyy",
        "(?P<name>strike)",
        "unbalanced (",
    ],
)
def test_syntax_not_followed_needs_nothing(source: str) -> None:
    assert required_strings(source) == ()


def test_a_repeated_part_needs_its_strings_once() -> None:
    assert clauses("(strike )+on") == {frozenset({"strike "})}
    assert clauses("(strike ){2,3}") == {frozenset({"strike "})}
    assert clauses("(strike ){0,3}base") == {frozenset({"base"})}


def test_candidates_are_the_patterns_whose_clauses_are_all_met() -> None:
    prefilter = Prefilter([r"\bain al asad\b", r"\bstrike (\w+ )?on al asad\b", r"\w+"])
    assert prefilter.candidates(b"a strike on erbil") == {2}
    assert prefilter.candidates(b"rockets hit ain al asad") == {0, 2}
    assert prefilter.candidates(b"a strike on al asad") == {1, 2}
    assert prefilter.candidates(b"a strike on ain al asad") == {0, 2}


def texts() -> list[bytes]:
    """Normalised texts of real reporting, as patterns see them."""
    found: list[Item] = []
    for path in sorted(EVAL.glob("*.jsonl")):
        found += list(read_items([str(path)]))
    found += [item for path in SEEDS for item in read_items([str(path)])]
    if ALJAZEERA.exists():
        found += list(read_items([str(ALJAZEERA)]))[::25]
    return [
        " ".join(words(normalize(text))).encode()
        for item in found
        for text in item_sources(field_texts(item))
        if text
    ]


@pytest.fixture(scope="module")
def shipped_sources() -> list[str]:
    rules = load_rules([RULES_DIR])
    return [pattern.source for rule in rules for group in rule.groups for pattern in group.patterns]


def sets_of(sources: list[str], size: int) -> list[re2.Set]:
    """The patterns as RE2 sets of `size`: one set of them all needs more memory than RE2's
    default."""
    options = re2.Options()
    options.max_mem = 256 << 20
    sets = []
    for start in range(0, len(sources), size):
        found = re2.Set.SearchSet(options)
        for source in sources[start : start + size]:
            found.Add(source)
        found.Compile()
        sets.append(found)
    return sets


def test_no_shipped_pattern_that_matches_is_left_out(shipped_sources: list[str]) -> None:
    """Every pattern that RE2 finds in a text, the patterns run as sets, is a candidate."""
    size = 100
    sets = sets_of(shipped_sources, size)
    prefilter = Prefilter(shipped_sources)
    matched = left_out = candidates = 0
    read = texts()
    for text in read:
        found = {
            size * number + index
            for number, patterns in enumerate(sets)
            for index in patterns.Match(text) or ()
        }
        matched += len(found)
        left_out += len(found - prefilter.candidates(text))
        candidates += len(prefilter.candidates(text))
    assert matched > 1_000  # the texts are about what the rules are about
    assert left_out == 0
    # ... and the strings rule out most patterns (about 15 of 715 are run on a text)
    assert candidates < 0.05 * len(shipped_sources) * len(read)


def test_finds_what_each_pattern_run_alone_finds(shipped_sources: list[str]) -> None:
    patterns = [re2.compile(source, OPTIONS) for source in shipped_sources]
    halves = [list(range(0, len(patterns), 2)), list(range(1, len(patterns), 2))]
    pattern_set = PatternSet(shipped_sources, halves)
    sample = random.Random(7).sample(texts(), 150)
    for text in sample:
        alone = sorted(
            index for index, pattern in enumerate(patterns) if pattern.search(text) is not None
        )
        assert sorted({index for index, _, _ in pattern_set.find(text)}) == alone
        odd = {index for index, _, _ in pattern_set.find(text, [1])}
        assert odd == {index for index in alone if index % 2}


def test_a_part_of_a_text_is_read_with_the_candidates_of_the_whole() -> None:
    pattern_set = PatternSet([r"\bain al asad\b", r"\bstrike\b"])
    body = b"a strike on ain al asad was reported"
    lead = body[:19]
    assert pattern_set.find(lead, within=body) == pattern_set.find(lead) == [(1, 1, 1)]


ALPHABET = ["ق", "ص", "ف", "ا", "ل", " ", "a", "b"]


def random_pattern(rng: random.Random, depth: int = 0) -> str:
    """A pattern of the constructs the reading follows, over a small alphabet so that
    random texts often match it."""
    kinds = ["literal", "literal", "class", "at"] + (["group", "repeat"] if depth < 3 else [])
    parts = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(kinds)
        if kind == "literal":
            parts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 4))))
        elif kind == "class":
            parts.append(rng.choice(["[قص]", "[^ ]", r"\w", ".", "[a-b]", r"\S"]))
        elif kind == "at":
            parts.append(rng.choice(["(^| )", "( |$)", r"\b", "^", "$"]))
        elif kind == "group":
            alternatives = [random_pattern(rng, depth + 1) for _ in range(rng.randint(1, 3))]
            parts.append(f"({'|'.join(alternatives)})")
        else:
            body = f"({random_pattern(rng, depth + 1)})"
            parts.append(body + rng.choice(["?", "*", "+", "{0,2}", "{1,3}", "{2}"]))
    return "".join(parts)


def test_no_random_pattern_that_matches_is_left_out() -> None:
    rng = random.Random(11)
    sources = [random_pattern(rng) for _ in range(600)]
    prefilter = Prefilter(sources)
    compiled = [re2.compile(source, OPTIONS) for source in sources]
    matched = ruled_out = 0
    for _ in range(300):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40))).encode()
        candidates = prefilter.candidates(text)
        ruled_out += len(sources) - len(candidates)
        for index, pattern in enumerate(compiled):
            if pattern.search(text) is not None:
                matched += 1
                assert index in candidates, (sources[index], text.decode())
    assert matched > 10_000
    assert ruled_out > 10_000  # the strings told something, not just "run them all"
