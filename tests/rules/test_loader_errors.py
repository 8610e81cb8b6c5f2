"""Every problem in a rules file is reported as path:line:col: message."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import RuleSetError
from monitor.rules.loader import load_rules

GOOD = """\
id: good
title: Good rule
terms:
  place: {mode: exact, words: [بغداد]}
match: place
"""

BAD = [
    (
        "unknown key in expression",
        "id: r\ntitle: T\nterms:\n  a: [x]\n  b: [y]\nmatch:\n  nearr: [a, b]\n",
        "7:3: match.nearr: unknown key 'nearr' (did you mean 'near'?)",
    ),
    (
        "unknown key in rule",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch: a\nseverity: high\nanchors: [title]\n",
        "7:1: anchors: unknown key 'anchors' (did you mean 'anchor'?)",
    ),
    (
        "bad regex",
        "id: r\ntitle: T\nterms:\n  a:\n    regex: ['(unclosed']\nmatch: a\n",
        "5:13: terms.a.regex[0]: bad regex '(unclosed': a ( is never closed",
    ),
    (
        "regex with characters normalisation removes",
        "id: r\ntitle: T\nterms:\n  a:\n    regex: ['أمريكا']\nmatch: a\n",
        "5:13: terms.a.regex[0]: regex 'أمريكا' has 'أ', which normalised text never holds",
    ),
    (
        "ASCII word boundary beside Arabic",
        "id: r\ntitle: T\nterms:\n  a:\n    regex: ['\\bتركي\\b']\nmatch: a\n",
        "5:13: terms.a.regex[0]: regex '\\\\bتركي\\\\b': RE2's \\b knows only ASCII letters",
    ),
    (
        "empty group",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch:\n  any: []\n",
        "6:3: match.any: empty: give at least one term group or expression",
    ),
    (
        "empty term group",
        "id: r\ntitle: T\nterms:\n  a: {mode: exact}\nmatch: a\n",
        "4:3: terms.a: empty term group 'a': give it words or regex",
    ),
    (
        "unknown term group",
        "id: r\ntitle: T\nterms:\n  iraq: [x]\nmatch:\n  all: [iraq, irq]\n",
        "6:15: match.all[1]: unknown term group 'irq' (did you mean 'iraq'?)",
    ),
    (
        "near without within",
        "id: r\ntitle: T\nterms:\n  a: [x]\n  b: [y]\nmatch:\n  near: [a, b]\n",
        "7:3: match.near: needs `within: N`",
    ),
    (
        "only negative terms",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch:\n  none: [a]\n",
        "5:1: match: the rule looks for no term",
    ),
    (
        "missing title",
        "id: r\nterms:\n  a: [x]\nmatch: a\n",
        "1:1: title: missing; this key is required",
    ),
    (
        "bad severity",
        "id: r\ntitle: T\nseverity: loud\nterms:\n  a: [x]\nmatch: a\n",
        "3:1: severity: 'loud' is not one of 'info', 'low', 'medium', 'high' or 'critical'",
    ),
    (
        "bad field scope",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch:\n  any: [a]\n  in: [headline]\n",
        "7:3: match.in: takes fields among title, lead, body",
    ),
    (
        "invalid YAML",
        "id: r\ntitle: [unclosed\n",
        "3:1: invalid YAML: a list opened with [ is not closed with ]",
    ),
    ("a tab", "id: r\n\ttitle: T\n", "2:1: invalid YAML: a tab; YAML indents with spaces"),
    (
        "duplicate key",
        "id: r\ntitle: T\ntitle: U\nterms:\n  a: [x]\nmatch: a\n",
        "3:1: duplicate key 'title' (first at line 2)",
    ),
    (
        "duration that is no duration",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch: a\npolicy:\n  group_wait: banana\n",
        "7:3: policy.group_wait: 'banana' is not a duration such as 90s, 5m, 2h or 3d",
    ),
    (
        "similarity above one",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch: a\npolicy:\n  similarity: 2\n",
        "7:3: policy.similarity: 2 is above the most allowed, 1",
    ),
    (
        "unknown key in policy",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch: a\npolicy:\n  gruop_wait: 5m\n",
        "7:3: policy.gruop_wait: unknown key 'gruop_wait' (did you mean 'group_wait'?)",
    ),
    (
        "unknown key in a term group",
        "id: r\ntitle: T\nterms:\n  a: {words: [x], mod: exact}\nmatch: a\n",
        "4:19: terms.a.mod: unknown key 'mod' (did you mean 'mode'?)",
    ),
    (
        "unknown key in tests, nothing near",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch: a\ntests:\n  maybe: [x]\n",
        "7:3: tests.maybe: unknown key 'maybe' (known: match, no_match, mention)",
    ),
    (
        "blank word",
        "id: r\ntitle: T\nterms:\n  a: {words: [x, ' ']}\nmatch: a\n",
        "4:18: terms.a.words[1]: blank; write a word or remove the entry",
    ),
    (
        "term without a word, in the short form",
        "id: r\ntitle: T\nterms:\n  a: [x, '،']\nmatch: a\n",
        "4:10: terms.a[1]: term '،' has no word in it",
    ),
    (
        "regex RE2 refuses",
        "id: r\ntitle: T\nterms:\n  a:\n    regex: ['(?<=x)y']\nmatch: a\n",
        "5:13: terms.a.regex[0]: bad regex '(?<=x)y': (?<= is not in RE2",
    ),
    (
        "at_least above the parts",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch:\n  any: [a]\n  at_least: 2\n",
        "7:3: match.at_least: must be a whole number from 1 to 1",
    ),
    (
        "not a whole number",
        "id: r\ntitle: T\nterms:\n  a: [x]\nmatch: a\npolicy: {min_sources: 1.5}\n",
        "6:10: policy.min_sources: 1.5 is not a whole number, 1 or more",
    ),
    (
        "bad id",
        "id: Bad Id\ntitle: T\nterms:\n  a: [x]\nmatch: a\n",
        "1:1: id: 'Bad Id' is not a rule id: lower-case letters, digits, - _ and .",
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), BAD, ids=[b[0] for b in BAD])
def test_error_names_file_line_and_column(
    tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = tmp_path / "rule.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleSetError) as caught:
        load_rules([tmp_path])
    assert f"{path}:{expected}" in str(caught.value)


def test_all_errors_of_all_files_are_collected(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\ntitle: A\nterms:\n  x: [y]\nmatch: z\n")
    (tmp_path / "b.yaml").write_text("id: b\ntitle: B\nterms:\n  x: [y]\nmatch: {bogus: x}\n")
    (tmp_path / "c.yaml").write_text(GOOD)
    with pytest.raises(RuleSetError) as caught:
        load_rules([tmp_path])
    assert [e.location.path for e in caught.value.errors] == [
        str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
    ]


def test_duplicate_rule_id_names_both_places(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD)
    with pytest.raises(RuleSetError) as caught:
        load_rules([tmp_path])
    message = str(caught.value)
    assert f"{tmp_path / 'b.yaml'}:1:1: duplicate rule id 'good'" in message
    assert f"first at {tmp_path / 'a.yaml'}:1:1" in message


def test_several_rules_in_one_file(tmp_path: Path) -> None:
    second = GOOD.replace("id: good", "id: second")
    text = "- " + GOOD.replace("\n", "\n  ").rstrip() + "\n- " + second.replace("\n", "\n  ")
    (tmp_path / "both.yaml").write_text(text)
    assert [rule.id for rule in load_rules([tmp_path])] == ["good", "second"]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="no such file or directory"):
        load_rules([tmp_path / "nope"])
