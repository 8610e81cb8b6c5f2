"""`monitor rules audit`: what stem-mode terms catch in a corpus, and which catches are flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.item import Item
from monitor.rules.audit import Corpus, audit_rules, suspect_word, term_locations
from monitor.rules.loader import load_rules
from monitor.text.normalizer import normalize

SUSPECTS = [
    # the term lost ين: a catch without ين ون ان after the stem is another word
    ("الأربعين", "أربعة", True),
    ("الأربعين", "الأربع", True),
    ("الأربعين", "الأربعون", False),
    ("الأربعين", "والأربعين", False),
    ("تمرين", "تمر", True),
    # the term lost ة: ات, ة and its ت before a pronoun or the dual keep the word
    ("مظاهرة", "مظاهر", True),
    ("مظاهرة", "مظاهرات", False),
    ("مسيرة", "بمسيرتين", False),
    ("مسيرة", "مسيرتها", False),
    ("الصادرات", "الصادر", True),
    # a nisba adjective's forms are all one word
    ("احتجاجية", "الاحتجاجي", False),
    ("أمريكي", "الأمريكيين", False),
    # no suffix lost, or English: never flagged (the report lists them all)
    ("هجوم", "هجومها", False),
    ("الدوري", "دورية", False),
    ("downed", "down", False),
]


@pytest.mark.parametrize(("term", "caught", "flagged"), SUSPECTS)
def test_suspect_word(term: str, caught: str, flagged: bool) -> None:
    assert suspect_word(normalize(term), normalize(caught)) is flagged


def _rule(tmp_path: Path, terms: str, name: str = "r") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"id: {name}\ntitle: T\nterms:\n{terms}\nmatch: g\n", encoding="utf-8")
    return path


def _corpus(*titles: str) -> Corpus:
    return Corpus.of(Item(id=str(n), title=title) for n, title in enumerate(titles))


CATCHES = [
    (
        "four is not Arbaeen",
        "  g: [الأربعين]",
        ["زيارة الأربعين", "أربعة صواريخ", "أربع سنوات", "الأربعة", "أربعة أيام"],
        {
            "الأربعين": [
                ("اربعه", 2, True),
                ("اربع", 1, True),
                ("الاربعه", 1, True),
                ("الاربعين", 1, False),
            ]
        },
    ),
    (
        "a catch another term of the group finds as an inflection is not flagged",
        "  g: [مسيرة, مسيرتين]",
        ["مسيرته الطويلة", "مسيرتين"],
        {
            "مسيرة": [("مسيرته", 1, False), ("مسيرتين", 1, False)],
            "مسيرتين": [("مسيرته", 1, False), ("مسيرتين", 1, False)],
        },
    ),
    (
        "a phrase catches its words in a row, each by its stem",
        "  g: [طائرة مسيرة]",
        ["الطائرات المسيرة", "طائرة مسيرة", "طائرة ثم مسيرة", "طائرة"],
        {"طائرة مسيرة": [("الطاءرات المسيره", 1, False), ("طاءره مسيره", 1, False)]},
    ),
    (
        "exact groups are not audited; a term that catches nothing is listed",
        "  g: [قصف]\n  place: {mode: exact, words: [بغداد]}",
        ["بغداد"],
        {"قصف": []},
    ),
    (
        "English terms catch by their Snowball stem",
        "  g: [meeting]",
        ["Meeting in Baghdad", "They meet today", "meetings"],
        {"meeting": [("meet", 1, False), ("meeting", 1, False), ("meetings", 1, False)]},
    ),
]


@pytest.mark.parametrize(
    ("terms", "titles", "expected"),
    [case[1:] for case in CATCHES],
    ids=[case[0] for case in CATCHES],
)
def test_catches(
    tmp_path: Path,
    terms: str,
    titles: list[str],
    expected: dict[str, list[tuple[str, int, bool]]],
) -> None:
    audits = audit_rules(load_rules([_rule(tmp_path, terms)]), _corpus(*titles))
    found = {a.term: [(c.text, c.count, c.flagged) for c in a.catches] for a in audits}
    assert found == expected


def test_min_count_hides_rare_catches_after_flagging(tmp_path: Path) -> None:
    rules = load_rules([_rule(tmp_path, "  g: [الأربعين]")])
    corpus = _corpus("أربعة", "أربعة", "الأربعين")
    (audit,) = audit_rules(rules, corpus, min_count=2)
    assert [(c.text, c.count, c.flagged) for c in audit.catches] == [("اربعه", 2, True)]


def test_corpus_counts_every_field() -> None:
    corpus = Corpus.of([Item(id="a", title="قصف", summary="قصف عنيف", content="القصف")])
    assert corpus.items == 1
    assert corpus.counts == {"قصف": 2, "عنيف": 1, "القصف": 1}


def test_term_locations_in_both_group_forms_and_in_a_list_of_rules(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "- id: a\n"
        "  title: A\n"
        "  terms:\n"
        "    g: [قصف, هجوم]\n"
        "  match: g\n"
        "- id: b\n"
        "  title: B\n"
        "  terms:\n"
        "    g:\n"
        "      words:\n"
        "        - قصف\n"
        "        - هجوم\n"
        "  match: g\n",
        encoding="utf-8",
    )
    first, second = load_rules([path])
    assert {key: place.line for key, place in term_locations(first).items()} == {
        ("g", 0): 4,
        ("g", 1): 4,
    }
    assert {key: place.line for key, place in term_locations(second).items()} == {
        ("g", 0): 11,
        ("g", 1): 12,
    }


def test_the_command_on_a_rules_dir_and_two_corpora(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    _rule(rules, "  g: [الأربعين, قصف]\n  place: {mode: exact, words: [بغداد]}", "arbaeen")
    jsonl = tmp_path / "items.jsonl"
    lines = [{"title": "أربعة صواريخ على بغداد"}, {"title": "زيارة الأربعين", "content": "أربعة"}]
    jsonl.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    seed = tmp_path / "seed.txt"
    seed.write_text("قصف بغداد\nقصف عنيف\n", encoding="utf-8")
    corpora = ["--corpus", str(jsonl), "--corpus", str(seed)]
    runner = CliRunner()

    result = runner.invoke(main, ["rules", "audit", *corpora, str(rules)])
    assert result.exit_code == 0, result.output
    where = f"{rules / 'arbaeen.yaml'}:4"
    assert result.stdout.splitlines() == [
        f"{where}: group 'g' term 'الأربعين' (stem): catches 2 words: اربعه (2) ⚠, الاربعين (1)",
        f"{where}: group 'g' term 'قصف' (stem): catches 1 word: قصف (2)",
    ]
    assert "2 stem-mode term(s) over 3 item(s)" in result.stderr
    assert "1 catch(es) flagged" in result.stderr

    result = runner.invoke(
        main, ["rules", "audit", "--json", "--min-count", "2", *corpora, str(rules)]
    )
    report = json.loads(result.stdout)
    assert report["corpus"] == {"items": 3, "words": 11}
    assert report["flagged"] == 1
    (rule,) = report["rules"]
    assert rule["id"] == "arbaeen"
    arbaeen, shelling = rule["groups"][0]["terms"]
    assert arbaeen["line"] == 4
    assert arbaeen["catches"] == [{"text": "اربعه", "count": 2, "flagged": True}]
    assert shelling["catches"] == [{"text": "قصف", "count": 2, "flagged": False}]


def test_the_command_names_a_missing_corpus(tmp_path: Path) -> None:
    rules = _rule(tmp_path, "  g: [قصف]")
    missing = tmp_path / "none.jsonl"
    result = CliRunner().invoke(main, ["rules", "audit", "--corpus", str(missing), str(rules)])
    assert result.exit_code == 1
    assert str(missing) in result.stderr
