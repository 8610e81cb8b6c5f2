"""A rules file with several problems reports every one, in file order, in the user's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import RuleSetError
from monitor.rules.loader import load_rules

LIBRARY_WORDS = ("Input should", "Extra inputs", "Value error", "String should", "valid number")
"""pydantic's phrasing, which a person editing a rules file should never see."""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "rule.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_rules([path])
    return [str(error).removeprefix(f"{path}:") for error in caught.value.errors]


def test_two_unknown_keys_in_one_rule_are_both_reported(tmp_path: Path) -> None:
    text = "id: r\ntitle: T\nanchr: [title]\nterms:\n  a: [x]\nmatch: a\nsevrity: high\n"
    assert _problems(tmp_path, text) == [
        "3:1: anchr: unknown key 'anchr' (did you mean 'anchor'?)",
        "7:1: sevrity: unknown key 'sevrity' (did you mean 'severity'?)",
    ]


def test_unknown_keys_in_two_rules_of_one_file(tmp_path: Path) -> None:
    rule = "- id: {0}\n  title: T\n  terms: {{a: [x]}}\n  match: a\n  {1}: 1\n"
    problems = _problems(tmp_path, rule.format("r1", "titel") + rule.format("r2", "matches"))
    assert problems == [
        "5:3: titel: unknown key 'titel' (did you mean 'title'?)",
        "10:3: matches: unknown key 'matches' (did you mean 'match'?)",
    ]


def test_every_bad_value_is_told_plainly_in_file_order(tmp_path: Path) -> None:
    text = (
        "id: r\ntitle: T\nseverity: urgent\nterms:\n  a: [x]\nmatch: a\n"
        "policy:\n  similarity: 2\n  group_wait: banana\n  group_wiat: 1\nenabled: maybe\n"
    )
    problems = _problems(tmp_path, text)
    assert problems == [
        "3:1: severity: 'urgent' is not one of 'info', 'low', 'medium', 'high' or 'critical'",
        "8:3: policy.similarity: 2 is above the most allowed, 1.0",
        "9:3: policy.group_wait: 'banana' is not a duration such as 90s, 5m, 2h or 3d",
        "10:3: policy.group_wiat: unknown key 'group_wiat' (did you mean 'group_wait'?)",
        "11:1: enabled: 'maybe' is not true or false",
    ]
    assert not [p for p in problems if any(words in p for words in LIBRARY_WORDS)]


def test_every_problem_of_an_expression_and_its_terms(tmp_path: Path) -> None:
    text = (
        "id: r\ntitle: T\nterms:\n  a: [x]\n  b:\n    regex: ['(bad', 'أ']\n"
        "match:\n  nearr: [a, b]\n  alll: [a]\n  any: [a, zz, {nonne: [b]}]\n"
    )
    assert _problems(tmp_path, text) == [
        "6:13: terms.b.regex[0]: bad regex '(bad': a ( is never closed",
        "6:21: terms.b.regex[1]: regex 'أ' has 'أ', which normalised text never holds; write 'ا'",
        "8:3: match.nearr: unknown key 'nearr' (did you mean 'near'?)",
        "9:3: match.alll: unknown key 'alll' (did you mean 'all'?)",
        "10:12: match.any[1]: unknown term group 'zz'",
        "10:17: match.any[2].nonne: unknown key 'nonne' (did you mean 'none'?)",
    ]


def test_every_duplicate_key_of_a_document(tmp_path: Path) -> None:
    text = "id: r\ntitle: T\ntitle: U\nterms:\n  a: [x]\n  a: [y]\nmatch: a\n"
    assert _problems(tmp_path, text) == [
        "3:1: duplicate key 'title' (first at line 2)",
        "6:3: duplicate key 'a' (first at line 5)",
    ]
