"""The matcher's shortcuts change nothing: every rule, judged on every term found by trying
every word position, gives the same matches as candidates, predicates and phrase bits do."""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.inputs import read_path
from monitor.item import Item
from monitor.rules import spellings
from monitor.rules.loader import load_rules
from monitor.rules.match import Match
from monitor.rules.matcher import Matcher
from monitor.rules.rule import Rule
from monitor.rules.scan import Occurrences
from monitor.text.keys import analyze
from monitor.text.tokenizer import words
from tests.conftest import ALJAZEERA, RULES_DIR, SEEDS
from workers.warmup import vocabulary, warm_up

ARTICLES = 40


def background() -> list[Item]:
    """The seeds, their headlines alone, and a sample of the background corpus."""
    items = [item for seed in SEEDS for item in read_path(seed)]
    items += [Item(id=f"{item.id}-title", title=item.title) for item in items]
    items += [  # a ligature that NFKC splits into four words, and text in Latin letters
        Item(id="ligature", title="قال ﷺ في بغداد", content=f"{items[0].content[:400]} ﷺ"),
        Item(id="latin", title="US and Iraq hold talks", summary="Talks in Baghdad.", lang="en"),
    ]
    if ALJAZEERA.exists():
        with ALJAZEERA.open(encoding="utf-8") as corpus:
            for line, _ in zip(corpus, range(ARTICLES), strict=False):
                items.append(Item.model_validate(json.loads(line)))
    return items


def generated_rules(items: list[Item], count: int, seed: int) -> list[dict[str, Any]]:
    """Rules of words and 2-4 word phrases taken from the items, in every composition."""
    rng = random.Random(seed)
    texts = [f"{item.title} {item.summary} {item.content}" for item in items]
    vocabulary = sorted({w for text in texts for w in words(text) if len(w) > 2})
    runs = [words(text) for text in texts]

    def term() -> str:
        if rng.random() < 0.3:
            run = rng.choice(runs)
            if len(run) > 3:
                at = rng.randrange(len(run) - 2)
                return " ".join(run[at : at + rng.choice((2, 3, 4))])
        return rng.choice(vocabulary)

    shapes = [
        lambda a, b, c: {"all": [a, b]},
        lambda a, b, c: {"any": [a, b, c], "at_least": 2},
        lambda a, b, c: {"near": [a, b], "within": rng.randint(2, 12), "none": [c]},
        lambda a, b, c: {"all": [a, {"near": [b, c], "within": 6}]},
        lambda a, b, c: {"all": [a, {"any": [b, c], "in": ["title", "lead"]}]},
        lambda a, b, c: {"all": [a], "none": [{"near": [b, c], "within": 3}]},
        lambda a, b, c: {"any": [{"all": [a, b], "in": "body"}, c]},
        lambda a, b, c: {"all": [a, {"any": [b, c]}]},
        lambda a, b, c: {"all": [{"any": [a, b]}, {"any": [b, c]}]},
        lambda a, b, c: {"all": [{"any": [a, b, c], "at_least": 2}, {"near": [a, c], "within": 5}]},
        lambda a, b, c: {"all": [a, {"any": [b, {"all": [a, c]}]}]},
        lambda a, b, c: {"all": [{"any": [a, b]}], "none": [c]},
    ]
    rules = []
    for number in range(count):
        terms = {name: {"words": [term() for _ in range(rng.randint(1, 5))]} for name in "abc"}
        for group in terms.values():
            if rng.random() < 0.4:
                group["mode"] = "exact"
        rule: dict[str, Any] = {
            "id": f"gen-{number}",
            "title": f"Generated {number}",
            "terms": terms,
            "match": rng.choice(shapes)("a", "b", "c"),
        }
        if rng.random() < 0.3:
            rule["anchor"] = ["title", "lead"]
        if rng.random() < 0.15:
            terms["a"]["weight"] = 2
            rule["threshold"] = 3
        rules.append(rule)
    return rules


def located_everywhere(matcher: Matcher, item: Item) -> Iterator[Match]:
    """Every rule judged on each term's places found by trying it at every word."""
    scan = matcher.scan(item)
    scan.locate(set(matcher._pattern_terms))
    patterns = {
        term: scan.occurrences[term] for term in matcher._pattern_terms if term in scan.occurrences
    }
    scan.occurrences = brute_force(matcher, scan.texts) | patterns
    scan.located_rules.update(range(len(matcher.rules)))
    for rule_index, rule in enumerate(matcher.rules):
        if rule.accepts(item, item.language):
            found = matcher.evaluate(rule_index, scan)
            if found is not None:
                yield found


def brute_force(matcher: Matcher, texts: list[Any]) -> Occurrences:
    """Each term at every place whose words have its keys, one after another."""
    found: Occurrences = {}
    for text in texts:
        at: dict[str, list[int]] = {}
        written = [matcher._spellings.spellings[i] for i in text.ids.tolist()]
        for position, word in enumerate(written):
            for key in keys_of(word):
                at.setdefault(key, []).append(position)
        for term_keys, term in matcher._term_ids.items():
            for first in at.get(term_keys[0], ()):
                rest = written[first + 1 : first + len(term_keys)]
                if len(rest) == len(term_keys) - 1 and all(
                    key in keys_of(word) for key, word in zip(term_keys[1:], rest, strict=True)
                ):
                    last = first + len(term_keys) - 1
                    found.setdefault(term, []).append((text.text_id, first, last))
    return found


def keys_of(word: str) -> frozenset[str]:
    """The keys of one word of a scanned text (NFKC splits are already split)."""
    (analysed,) = analyze(word)
    return analysed.keys


def rules_of(tmp_path: Path, generated: list[dict[str, Any]]) -> list[Rule]:
    for rule in generated:
        text = yaml.safe_dump(rule, allow_unicode=True, sort_keys=False)
        (tmp_path / f"{rule['id']}.yaml").write_text(text, encoding="utf-8")
    return load_rules([RULES_DIR, tmp_path])


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return background()


@pytest.mark.parametrize("seed", [1, 2])
def test_same_matches_as_every_rule_on_every_place(
    tmp_path: Path, items: list[Item], seed: int
) -> None:
    matcher = Matcher(rules_of(tmp_path, generated_rules(items, 150, seed)))
    total = 0
    for item in items:
        expected = list(located_everywhere(matcher, item))
        assert matcher.match(item) == expected, item.id
        total += len(expected)
    assert total > len(items)  # the rules do match: the comparison is not of empty lists


def test_same_matches_after_the_spelling_index_starts_afresh(
    tmp_path: Path, items: list[Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    matcher = Matcher(rules_of(tmp_path, generated_rules(items, 60, 3)))
    before = [matcher.match(item) for item in items]
    monkeypatch.setattr(spellings, "CACHE_LIMIT", 200)
    fresh = Matcher(matcher.rules)
    assert [fresh.match(item) for item in items] == before
    assert len(fresh._spellings) < len(matcher._spellings)  # it did start afresh


def test_same_matches_after_learning_the_vocabulary_first(
    tmp_path: Path, items: list[Item]
) -> None:
    # A worker's work-horses match with the spellings their parent learned beforehand.
    rules = rules_of(tmp_path, generated_rules(items, 150, 4))
    cold = Matcher(rules)
    expected = cold.match_many(items)
    warm = Matcher(rules)
    warm_up(warm)
    gc.unfreeze()  # the warm-up freezes what it learned, as a worker about to fork would
    assert len(warm._spellings) >= len(vocabulary())
    assert warm.match_many(items) == expected
    assert sum(map(len, expected)) > len(items)


def dense_near_rules(rng: random.Random, words: list[str], count: int) -> list[dict[str, Any]]:
    """Rules of nears over a few words, anchored or not: most hold somewhere in an item of
    those words, and many hold in its body alone."""
    shapes = [
        lambda within: {"near": ["a", "b"], "within": within},
        lambda within: {"near": ["a", "b"], "within": within, "none": ["c"]},
        lambda within: {"all": ["a", {"near": ["b", "c"], "within": within}]},
        lambda within: {
            "all": [{"near": ["a", "b"], "within": within}, {"near": ["b", "c"], "within": 8}]
        },
        lambda within: {"near": ["a", "b", "c"], "within": within},
    ]
    rules = []
    for number in range(count):
        terms = {name: {"words": rng.sample(words, rng.randint(1, 2))} for name in "abc"}
        rule: dict[str, Any] = {
            "id": f"dense-{number}",
            "title": f"Dense {number}",
            "terms": terms,
            "match": rng.choice(shapes)(rng.randint(1, 6)),
        }
        anchor = rng.choice([None, ["title"], ["title", "lead"], ["lead"]])
        if anchor:
            rule["anchor"] = anchor
        rules.append(rule)
    return rules


def test_same_matches_where_nears_are_dense(tmp_path: Path) -> None:
    # Nears are tested for a whole batch at once, on every field and on the anchor's.
    rng = random.Random(11)
    words = ["harbour", "convoy", "pipeline", "senate", "drought", "lantern", "orchard"]
    filler = ["the", "of", "and", "said", "today", "near", "after"]

    def text(low: int, high: int) -> str:
        return " ".join(rng.choice(words + filler) for _ in range(rng.randint(low, high)))

    items = [
        Item(id=f"dense-{n}", title=text(2, 8), summary=text(0, 12), content=text(10, 60))
        for n in range(60)
    ]
    matcher = Matcher(rules_of(tmp_path, dense_near_rules(rng, words, 120)))
    anchored = {rule.id for rule in matcher.rules if rule.spec.anchor}
    expected = [list(located_everywhere(matcher, item)) for item in items]
    assert matcher.match_many(items) == expected
    found = [match for matches in expected for match in matches if match.rule in anchored]
    assert sum(match.alert for match in found) > 100  # both alerts and mentions were
    assert sum(not match.alert for match in found) > 100  # put to the test
