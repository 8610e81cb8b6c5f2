"""Pattern gates: a rule's regular expressions run only where the rule may hold, and an
anchored rule's only past the lead where one way of holding is found whole."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from monitor.item import Item
from monitor.rules.expression import AllOf, AnyOf, GroupRef, Near, Node, NoneOf, Scoped
from monitor.rules.gate import GateTable, gate, needs_body
from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from tests.conftest import ALJAZEERA, ROOT, RULES_DIR

A, B, C, P = (GroupRef(n, name) for n, name in enumerate("abcp"))
PLAIN = {0: True, 1: True, 2: True, 3: False}.__getitem__
"""Groups 0-2 are words; group 3 has patterns."""


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (A, [{0}]),
        (P, [set()]),
        (AllOf([A, B]), [{0, 1}]),
        (Near([A, P], 5), [{0}]),
        (AnyOf([A, B]), [{0}, {1}]),
        (AnyOf([A, AllOf([A, B])]), [{0}]),
        (AllOf([AnyOf([A, B]), C]), [{0, 2}, {1, 2}]),
        (AllOf([A, NoneOf([B])]), [{0}]),
        (AnyOf([A, P]), [set()]),
        (Scoped(AllOf([A, B]), 1), [{0, 1}]),
    ],
)
def test_gates_name_what_each_way_of_holding_needs(node: Node, expected: list[set[int]]) -> None:
    assert sorted(map(sorted, gate(node, PLAIN))) == sorted(map(sorted, expected))


def test_a_body_scope_over_patterns_reads_the_whole_body() -> None:
    patterned = lambda group: group == 3  # noqa: E731
    assert needs_body(AllOf([A, Scoped(P, 4)]), patterned)
    assert not needs_body(AllOf([P, Scoped(A, 4)]), patterned)
    assert not needs_body(AllOf([P, Scoped(P, 3)]), patterned)


def labelled_items() -> list[Item]:
    items = []
    for path in sorted((ROOT / "tests" / "data" / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            items.append(Item.model_validate({k: v for k, v in data.items() if k != "expect"}))
    if ALJAZEERA.exists():
        with ALJAZEERA.open(encoding="utf-8") as stream:
            items += [Item.model_validate(json.loads(line)) for line in stream][:600]
    return items


def test_reading_the_lead_first_changes_no_alert() -> None:
    rules = load_rules([RULES_DIR])
    items = labelled_items() + [test.item for rule in rules for test in rule.tests]
    lead_first, whole = Matcher(rules), Matcher(rules)
    whole._pattern_gates.lead_first = [False] * len(whole._pattern_gates.lead_first)
    assert any(lead_first._pattern_gates.lead_first)
    for one, other in zip(lead_first.match_many(items), whole.match_many(items), strict=True):
        assert [m for m in one if m.alert] == [m for m in other if m.alert]


def _opened_plainly(gates: list[list[list[int]]], found: np.ndarray) -> list[list[int]]:
    """The sets each row opens, read gate by gate: one alternative's groups all found."""
    return [
        [n for n, gate_ in enumerate(gates) if any(all(row[g] for g in need) for need in gate_)]
        for row in found
    ]


@pytest.mark.parametrize("sets", [1, 7, 140])
def test_a_table_of_gates_opens_what_each_gate_does(sets: int) -> None:
    # 140 sets: as many rules with patterns, each with up to a dozen ways of holding, of
    # up to eight of 1,500 groups; rows as sparse as items' and fuller.
    rng = random.Random(sets)
    groups = 1_500
    gates = [
        [sorted(rng.sample(range(groups), rng.randint(0, 8))) for _ in range(rng.randint(1, 12))]
        for _ in range(sets)
    ]
    table = GateTable(gates)
    for share in (0.0, 0.02, 0.3, 0.9):
        found = (np.random.default_rng(sets).random((32, groups)) < share).astype(np.uint8)
        found[found == 1] = np.random.default_rng(1).integers(1, 8, int(found.sum()))
        assert table.open(found) == _opened_plainly(gates, found)
