"""A rule's compiled predicate against its expression, on every way its groups can be found."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path

import numpy as np
import pytest

from monitor.item import ItemField
from monitor.rules.candidates import Candidates
from monitor.rules.expression import ALL_FIELDS, TermHit
from monitor.rules.loader import load_rules
from monitor.rules.predicate import rule_predicate
from monitor.rules.rule import Rule
from monitor.rules.scores import RuleScores

PLACES = {1: (ItemField.TITLE, 0), 2: (ItemField.LEAD, 1), 4: (ItemField.BODY, 2)}

EXPRESSIONS = [
    "{all: [a, b]}",
    "{any: [a, b, c]}",
    "{any: [a, b, c], at_least: 2}",
    "{all: [a, b], none: [c]}",
    "{all: [a], none: [{all: [b, c], in: title}]}",
    "{all: [{any: [a, b], in: [title, lead]}, c]}",
    "{any: [{all: [a, b], in: body}, {none: [c], all: [a]}]}",
    "{all: [a, {any: [b, {all: [c], in: lead}]}], in: [lead, body]}",
]
NEAR = [
    "{near: [a, b], within: 3}",
    "{all: [a], none: [{near: [b, c], within: 2}]}",
    "{any: [{near: [a, b, c], within: 5}, {all: [b], in: title}]}",
]


def rule_text(match: str, rule_id: str = "r") -> str:
    """A rule of three groups, a (alpha, weight 2), b (beta) and c (gamma), as YAML."""
    text = f"""
        id: {rule_id}
        title: R
        terms:
          a: {{words: [alpha], weight: 2}}
          b: [beta]
          c: [gamma]
        match: {match}
    """
    return textwrap.dedent(text)


def rule_of(tmp_path: Path, match: str, extra: str = "") -> Rule:
    (tmp_path / "r.yaml").write_text(rule_text(match) + extra, encoding="utf-8")
    (rule,) = load_rules([tmp_path])
    return rule


def scored(scores: RuleScores, table: np.ndarray, rules: list[list[int]]) -> list[list[float]]:
    """`scores` of `rules[i]` on item i (row i of `table`)."""
    items = [item for item, its in enumerate(rules) for _ in its]
    flat = [rule for its in rules for rule in its]
    chosen = Candidates(np.array(flat, np.intp), np.array(items, np.intp))
    return scores.of(table, chosen, len(rules))


def every_finding(groups: int = 3) -> list[tuple[int, ...]]:
    """Every assignment of the fields (bits) each group was found in."""
    return list(itertools.product(range(ALL_FIELDS + 1), repeat=groups))


def hits_of(found: tuple[int, ...]) -> dict[int, list[TermHit]]:
    """One hit of each group in each field it was found in, all at the start of the text."""
    hits: dict[int, list[TermHit]] = {}
    for group, mask in enumerate(found):
        for bit, (field, text) in PLACES.items():
            if mask & bit:
                hits.setdefault(group, []).append(TermHit(group, field, bit, text, 0, 0))
    return hits


@pytest.mark.parametrize("match", EXPRESSIONS)
def test_exact_without_near(tmp_path: Path, match: str) -> None:
    rule = rule_of(tmp_path, match)
    predicate = rule_predicate(rule, [0, 1, 2])
    outcomes = set()
    for found in every_finding():
        held = rule.expression.evaluate(hits_of(found), ALL_FIELDS, ALL_FIELDS) is not None
        assert predicate(bytes(found)) is held, found
        outcomes.add(held)
    assert outcomes == {True, False}


@pytest.mark.parametrize("match", NEAR)
def test_false_is_final_with_near(tmp_path: Path, match: str) -> None:
    rule = rule_of(tmp_path, match)
    predicate = rule_predicate(rule, [0, 1, 2])
    for found in every_finding():
        if not predicate(bytes(found)):
            assert rule.expression.evaluate(hits_of(found), ALL_FIELDS, ALL_FIELDS) is None


def test_group_ids_are_written_in(tmp_path: Path) -> None:
    predicate = rule_predicate(rule_of(tmp_path, "{all: [a, b]}"), [5, 3, 9])
    found = bytearray(10)
    found[5] = found[3] = 4
    assert predicate(bytes(found))
    found[3] = 0
    assert not predicate(bytes(found))


def test_threshold_counts_the_weights_of_groups_found(tmp_path: Path) -> None:
    rule = rule_of(tmp_path, "{any: [a, b, c]}", "threshold: 3\n")
    predicate = rule_predicate(rule, [0, 1, 2])
    assert predicate(bytes([1, 4, 0]))  # a (2) + b (1)
    assert not predicate(bytes([0, 4, 2]))  # b + c
    assert not predicate(bytes([1, 0, 0]))


def test_a_score_adds_the_weights_of_the_groups_found_in_the_rules_order(tmp_path: Path) -> None:
    text = """
        id: weighted
        title: W
        terms:
          a: {words: [alpha], weight: 0.1}
          b: {words: [beta], weight: 0.2}
          c: {words: [gamma], weight: 0.7}
        match: {any: [a, b, c]}
    """
    (tmp_path / "w.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    (rule,) = load_rules([tmp_path])
    scores = RuleScores([rule], [[7, 3, 5]])
    weights = [group.weight for group in rule.groups]
    findings = list(every_finding())
    table = np.zeros((len(findings), 8), np.uint8)
    table[:, [7, 3, 5]] = findings
    found = scored(scores, table, [[0]] * len(findings))
    for finding, (score,) in zip(findings, found, strict=True):
        expected = float(sum(w for w, bits in zip(weights, finding, strict=True) if bits))
        assert score == expected, finding
    assert scored(scores, np.array([[0, 0, 0, 1, 0, 1, 0, 1]], np.uint8), [[0]]) == [[1.0]]
    assert 0.1 + 0.2 + 0.7 == 1.0 != 0.1 + (0.2 + 0.7)  # added in the rule's order


def test_a_score_takes_any_weight(tmp_path: Path) -> None:
    text = """
        id: unbounded
        title: U
        terms:
          a: {words: [alpha], weight: .inf}
          b: {words: [beta], weight: -1.0e+300}
          c: {words: [gamma], weight: 2.5}
        match: {any: [a, b, c]}
    """
    (tmp_path / "u.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    (rule,) = load_rules([tmp_path])
    scores = RuleScores([rule], [[0, 1, 2]])
    table = np.array([[1, 1, 0], [0, 1, 1], [0, 0, 0]], np.uint8)
    assert scored(scores, table, [[0], [0], [0]]) == [[float("inf")], [-1e300 + 2.5], [0.0]]


def test_scores_of_many_rules_on_many_items(tmp_path: Path) -> None:
    rule = rule_of(tmp_path, "{any: [a, b, c]}")
    scores = RuleScores([rule, rule], [[0, 1, 2], [3, 4, 5]])
    table = np.array([[1, 0, 0, 0, 4, 2], [0, 0, 0, 1, 1, 1]], np.uint8)
    # a weighs 2, b and c 1 (see rule_of)
    assert scored(scores, table, [[1, 0], []]) == [[2.0, 2.0], []]
    assert scored(scores, table, [[], [1, 0]]) == [[], [4.0, 0.0]]
